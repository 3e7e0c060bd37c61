/**
 * Configuration of tracing: options given in code, completed from the
 * OpenTelemetry environment variables (`OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`,
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`).
 *
 * Options given in code win over the environment. An empty environment
 * variable counts as unset, as the OpenTelemetry specification says. Enum
 * values (sampler names) are read case-insensitively.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCodes, VigilError } from '@vigil/model';
import type { Registry } from '../metrics/index.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

/** The samplers `OTEL_TRACES_SAMPLER` (and {@link TracingOptions.sampler}) may name. */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** One of {@link SAMPLER_NAMES}. */
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** The sampler used when neither options nor environment choose one (the OpenTelemetry default). */
export const DEFAULT_SAMPLER: SamplerName = 'parentbased_always_on';

/** Where spans go when neither options nor environment say: a local OpenTelemetry Collector. */
export const DEFAULT_TRACES_ENDPOINT = 'http://localhost:4318/v1/traces';

/** How long one export may take, retries included, by default (ms). */
export const DEFAULT_EXPORT_TIMEOUT_MS = 10_000;

/** The service name used when none is configured, as the OpenTelemetry resource spec suggests. */
export const DEFAULT_SERVICE_NAME = 'unknown_service:node';

/** `service.instance.id` of this process when none is configured: one random UUID per process. */
export const PROCESS_INSTANCE_ID: string = randomUUID();

/** A resource attribute value. */
export type ResourceAttributeValue = string | number | boolean;

/** Options of {@link startTracing}. Every field is optional. */
export interface TracingOptions {
  /** `service.name`. Default: `OTEL_SERVICE_NAME`, then `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, then `unknown_service:node`. */
  serviceName?: string;
  /** `service.version`, when given (or set in `OTEL_RESOURCE_ATTRIBUTES`). */
  serviceVersion?: string;
  /** `service.instance.id`. Default: from `OTEL_RESOURCE_ATTRIBUTES`, else a random UUID per process. */
  serviceInstanceId?: string;
  /** More resource attributes; they win over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Readonly<Record<string, ResourceAttributeValue>>;
  /**
   * Full URL spans are POSTed to (OTLP/HTTP, JSON). Default:
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else `OTEL_EXPORTER_OTLP_ENDPOINT`
   * with `/v1/traces` appended, else {@link DEFAULT_TRACES_ENDPOINT}.
   */
  endpoint?: string;
  /** Extra HTTP headers on every export request (for example an API key). */
  headers?: Readonly<Record<string, string>>;
  /**
   * The sampler. Default: `OTEL_TRACES_SAMPLER`, else `parentbased_traceidratio`
   * when {@link sampleRatio} is given, else `parentbased_always_on`.
   */
  sampler?: SamplerName;
  /**
   * Fraction of new traces kept by the `traceidratio` samplers, 0 to 1.
   * Default: `OTEL_TRACES_SAMPLER_ARG`, else 1.
   */
  sampleRatio?: number;
  /** Longest time one export may take, retries included (ms). Default 10,000. */
  exportTimeoutMillis?: number;
  /** Delay between two batch exports (ms). Default: the BatchSpanProcessor's (5,000, or `OTEL_BSP_SCHEDULE_DELAY`). */
  scheduledDelayMillis?: number;
  /** Most ended spans kept waiting for export; past it new spans are dropped. Default: the BatchSpanProcessor's (2,048). */
  maxQueueSize?: number;
  /** Most spans in one export request. Default: the BatchSpanProcessor's (512). */
  maxExportBatchSize?: number;
  /**
   * Where spans go instead of OTLP/HTTP: any OpenTelemetry `SpanExporter`
   * (another protocol, or an in-memory exporter in tests). Failed exports
   * are counted and reported like OTLP ones. When given, {@link endpoint}
   * and {@link headers} are unused.
   */
  exporter?: SpanExporter;
  /** Where the `vigil_trace_spans_dropped_total` counter is registered. Default: the default registry. */
  registry?: Registry;
  /** Environment read for the `OTEL_*` variables. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The sampler after options and environment are merged. */
export interface SamplerConfig {
  readonly name: SamplerName;
  /** The ratio for the `traceidratio` samplers, 0 to 1 (1 for the others). */
  readonly ratio: number;
}

/** Tracing configuration after options and environment are merged and checked. */
export interface ResolvedTracingConfig {
  readonly endpoint: string;
  readonly sampler: SamplerConfig;
  /** Resource attributes, `service.name` and `service.instance.id` always present. */
  readonly resourceAttributes: Readonly<Record<string, ResourceAttributeValue>>;
  readonly exportTimeoutMillis: number;
  /** Problems that did not stop tracing (for example a malformed `OTEL_RESOURCE_ATTRIBUTES`). */
  readonly warnings: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

function envValue(env: Env, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const trimmed = v.trim();
  return trimmed === '' ? undefined : trimmed;
}

function invalid(message: string, details: Record<string, unknown>): VigilError {
  return new VigilError(ErrorCodes.CONFIG_INVALID, message, { details });
}

function isSamplerName(value: string): value is SamplerName {
  return (SAMPLER_NAMES as readonly string[]).includes(value);
}

function resolveSampler(options: TracingOptions, env: Env): SamplerConfig {
  let name: SamplerName;
  if (options.sampler !== undefined) {
    if (typeof options.sampler !== 'string' || !isSamplerName(options.sampler)) {
      throw invalid(
        `Tracing option "sampler" is ${JSON.stringify(options.sampler)}; ` +
          `use one of ${SAMPLER_NAMES.join(', ')}.`,
        { sampler: options.sampler },
      );
    }
    name = options.sampler;
  } else {
    const fromEnv = envValue(env, 'OTEL_TRACES_SAMPLER');
    if (fromEnv !== undefined) {
      const lower = fromEnv.toLowerCase();
      if (!isSamplerName(lower)) {
        throw invalid(
          `OTEL_TRACES_SAMPLER is ${JSON.stringify(fromEnv)}, which Vigil does not support; ` +
            `set it to one of ${SAMPLER_NAMES.join(', ')} (or unset it for ${DEFAULT_SAMPLER}).`,
          { variable: 'OTEL_TRACES_SAMPLER', value: fromEnv },
        );
      }
      name = lower;
    } else {
      name = options.sampleRatio !== undefined ? 'parentbased_traceidratio' : DEFAULT_SAMPLER;
    }
  }

  let ratio = 1;
  if (options.sampleRatio !== undefined) {
    const r = options.sampleRatio;
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r > 1) {
      throw invalid(
        `Tracing option "sampleRatio" is ${String(r)}; use a number from 0 to 1 ` +
          `(the fraction of new traces kept).`,
        { sampleRatio: r },
      );
    }
    ratio = r;
  } else if (name.endsWith('traceidratio')) {
    // The argument only means something to the ratio samplers; the spec says to ignore it otherwise.
    const arg = envValue(env, 'OTEL_TRACES_SAMPLER_ARG');
    if (arg !== undefined) {
      const r = /^[+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(arg) ? Number(arg) : NaN;
      if (!(r >= 0 && r <= 1)) {
        throw invalid(
          `OTEL_TRACES_SAMPLER_ARG is ${JSON.stringify(arg)}; for ${name} set it to a number ` +
            `from 0 to 1 (the fraction of new traces kept), or unset it for 1.`,
          { variable: 'OTEL_TRACES_SAMPLER_ARG', value: arg },
        );
      }
      ratio = r;
    }
  }
  return { name, ratio };
}

function checkUrl(url: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(
      `${source} is ${JSON.stringify(url)}, which is not a URL; ` +
        `use an absolute http:// or https:// URL such as ${DEFAULT_TRACES_ENDPOINT}.`,
      { source, value: url },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(
      `${source} is ${JSON.stringify(url)}; OTLP/HTTP needs an http:// or https:// URL ` +
        `such as ${DEFAULT_TRACES_ENDPOINT}.`,
      { source, value: url },
    );
  }
  return url;
}

function resolveEndpoint(options: TracingOptions, env: Env): string {
  if (options.endpoint !== undefined) {
    if (typeof options.endpoint !== 'string') {
      throw invalid('Tracing option "endpoint" must be a URL string.', {
        endpoint: options.endpoint,
      });
    }
    return checkUrl(options.endpoint, 'Tracing option "endpoint"');
  }
  // The signal-specific variable is used as is; the generic one is a base URL.
  const traces = envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces !== undefined) return checkUrl(traces, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base !== undefined) {
    checkUrl(base, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    return base.replace(/\/+$/, '') + '/v1/traces';
  }
  return DEFAULT_TRACES_ENDPOINT;
}

/**
 * Parses `OTEL_RESOURCE_ATTRIBUTES`: `key=value` pairs separated by commas,
 * values percent-encoded. Returns the attributes, or an error message when
 * the text is malformed; as the specification asks, a malformed value is
 * discarded whole. Pure; safe to call from anywhere.
 */
export function parseResourceAttributes(
  text: string,
): { attributes: Record<string, string> } | { error: string } {
  const attributes: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const member = raw.trim();
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq <= 0) {
      return { error: `entry ${JSON.stringify(member)} is not key=value` };
    }
    const key = member.slice(0, eq).trim();
    const rawValue = member.slice(eq + 1).trim();
    if (key === '') return { error: `entry ${JSON.stringify(member)} has an empty key` };
    let value: string;
    try {
      value = decodeURIComponent(rawValue);
    } catch {
      return { error: `the value of ${JSON.stringify(key)} is not valid percent-encoding` };
    }
    attributes[key] = value;
  }
  return { attributes };
}

function resolveResource(
  options: TracingOptions,
  env: Env,
  warnings: string[],
): Record<string, ResourceAttributeValue> {
  const attrs: Record<string, ResourceAttributeValue> = {};
  const fromEnvText = envValue(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (fromEnvText !== undefined) {
    const parsed = parseResourceAttributes(fromEnvText);
    if ('error' in parsed) {
      warnings.push(
        `OTEL_RESOURCE_ATTRIBUTES is ignored: ${parsed.error}. ` +
          'Write key=value pairs separated by commas, values percent-encoded.',
      );
    } else {
      Object.assign(attrs, parsed.attributes);
    }
  }
  const envServiceName = envValue(env, 'OTEL_SERVICE_NAME');
  if (envServiceName !== undefined) attrs['service.name'] = envServiceName;
  if (options.resourceAttributes !== undefined) Object.assign(attrs, options.resourceAttributes);
  if (options.serviceName !== undefined) attrs['service.name'] = options.serviceName;
  if (options.serviceVersion !== undefined) attrs['service.version'] = options.serviceVersion;
  if (options.serviceInstanceId !== undefined) {
    attrs['service.instance.id'] = options.serviceInstanceId;
  }
  for (const key of ['service.name', 'service.version', 'service.instance.id']) {
    const v = attrs[key];
    if (v !== undefined && (typeof v !== 'string' || v === '')) {
      throw invalid(`Resource attribute ${key} must be a non-empty string; got ${String(v)}.`, {
        [key]: v,
      });
    }
  }
  attrs['service.name'] ??= DEFAULT_SERVICE_NAME;
  attrs['service.instance.id'] ??= PROCESS_INSTANCE_ID;
  return attrs;
}

/**
 * Merges options with the environment and checks them. Throws a
 * {@link VigilError} with code `CONFIG_INVALID` naming the option or
 * variable and the values it accepts when one is invalid. Pure apart from
 * reading `options.env` (default `process.env`).
 */
export function resolveTracingConfig(options: TracingOptions = {}): ResolvedTracingConfig {
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const exportTimeoutMillis = options.exportTimeoutMillis ?? DEFAULT_EXPORT_TIMEOUT_MS;
  if (!Number.isFinite(exportTimeoutMillis) || exportTimeoutMillis <= 0) {
    throw invalid(
      `Tracing option "exportTimeoutMillis" is ${String(exportTimeoutMillis)}; use a positive number of milliseconds.`,
      { exportTimeoutMillis },
    );
  }
  return {
    endpoint: resolveEndpoint(options, env),
    sampler: resolveSampler(options, env),
    resourceAttributes: resolveResource(options, env, warnings),
    exportTimeoutMillis,
    warnings,
  };
}
