/**
 * The `scrape_configs` section of the configuration file: Prometheus's
 * key names and defaults, validated with zod, resolved into
 * {@link ScrapeConfig}s.
 *
 * @module
 */
import { z } from 'zod';
import {
  ErrorCodes,
  VigilError,
  formatDurationMs,
  isValidLabelName,
  parseDurationMs,
} from '@vigil/model';
import { compileRelabelConfig } from './relabel.js';
import type { RawRelabelConfig, RelabelConfig } from './relabel.js';

/** Prometheus's default scrape interval (1m). */
export const DEFAULT_SCRAPE_INTERVAL_MS = 60_000;
/** Prometheus's default scrape timeout (10s), capped at the interval. */
export const DEFAULT_SCRAPE_TIMEOUT_MS = 10_000;
/**
 * The body size limit when a job sets none: 100 MiB. Prometheus's default is
 * unlimited; set `body_size_limit: 0` explicitly to get that.
 */
export const DEFAULT_BODY_SIZE_LIMIT_BYTES = 100 * 1024 * 1024;

/** A static target group: `host:port` addresses and the labels they share. */
export interface StaticConfig {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** Credentials sent in the `Authorization` header. */
export interface AuthorizationConfig {
  /** The scheme word, `Bearer` unless set. */
  readonly type: string;
  readonly credentials?: string;
  /** Read at every scrape (Prometheus does the same, so rotated tokens work). */
  readonly credentialsFile?: string;
}

/** HTTP basic authentication. */
export interface BasicAuthConfig {
  readonly username: string;
  readonly password?: string;
  /** Read at every scrape. */
  readonly passwordFile?: string;
}

/** TLS settings for `https` targets (files are read when the config is applied). */
export interface TlsConfig {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly serverName?: string;
  readonly insecureSkipVerify: boolean;
}

/** One scrape job with every default applied. Immutable once built. */
export interface ScrapeConfig {
  readonly jobName: string;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  readonly metricsPath: string;
  readonly scheme: 'http' | 'https';
  /** URL query parameters; each also becomes a `__param_<name>` target label (first value). */
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly staticConfigs: readonly StaticConfig[];
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  /** Ask for gzip (`Accept-Encoding: gzip`); default true, as in Prometheus. */
  readonly enableCompression: boolean;
  /** From `authorization`, or `bearer_token`/`bearer_token_file`. */
  readonly authorization: AuthorizationConfig | undefined;
  readonly basicAuth: BasicAuthConfig | undefined;
  readonly tlsConfig: TlsConfig | undefined;
  /** Extra request headers, by header name. */
  readonly httpHeaders: Readonly<Record<string, readonly string[]>>;
  readonly relabelConfigs: readonly RelabelConfig[];
  readonly metricRelabelConfigs: readonly RelabelConfig[];
  /** Most samples per scrape after metric relabelling; 0 = no limit. */
  readonly sampleLimit: number;
  /** Most uncompressed body bytes per scrape; 0 = no limit. */
  readonly bodySizeLimitBytes: number;
  /** Most labels per series (`__name__` included); 0 = no limit. */
  readonly labelLimit: number;
  /** Longest label name; 0 = no limit. */
  readonly labelNameLengthLimit: number;
  /** Longest label value (UTF-16 code units); 0 = no limit. */
  readonly labelValueLengthLimit: number;
}

/** Global settings that scrape jobs inherit (the `global` section). */
export interface ScrapeGlobalConfig {
  /** A duration string (`"15s"`) or milliseconds. Default 1m. */
  readonly scrape_interval?: string | number | undefined;
  /** A duration string or milliseconds. Default 10s. */
  readonly scrape_timeout?: string | number | undefined;
  /** Used only to seed the scrape offsets, as Prometheus does. */
  readonly external_labels?: Readonly<Record<string, string>> | undefined;
}

/** Options of {@link parseScrapeConfigs}. */
export interface ParseScrapeConfigsOptions {
  /** Where the configuration came from (a file name), for error messages. */
  readonly source: string;
  readonly global?: ScrapeGlobalConfig | undefined;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
  PB: 1024 ** 5,
  EB: 1024 ** 6,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  PiB: 1024 ** 5,
  EiB: 1024 ** 6,
};
const SIZE_RE = /^(?:(\d+(?:\.\d+)?)(B|KB|MB|GB|TB|PB|EB|KiB|MiB|GiB|TiB|PiB|EiB))+$/;
const SIZE_PART_RE = /(\d+(?:\.\d+)?)(B|KB|MB|GB|TB|PB|EB|KiB|MiB|GiB|TiB|PiB|EiB)/g;

/**
 * Parses a Prometheus size (`512KB`, `10MB`, `1GiB`; base 2, so `1KB` is
 * 1024 bytes, as in Prometheus) into bytes. `0` and plain integers are bytes.
 *
 * @throws VigilError `CONFIG_INVALID`.
 */
export function parseSizeBytes(text: string | number): number {
  if (typeof text === 'number') {
    if (Number.isSafeInteger(text) && text >= 0) return text;
  } else if (/^\d+$/.test(text)) {
    return Number(text);
  } else if (SIZE_RE.test(text)) {
    let total = 0;
    for (const m of text.matchAll(SIZE_PART_RE)) total += Number(m[1]) * SIZE_UNITS[m[2]!]!;
    return Math.floor(total);
  }
  throw new VigilError(
    ErrorCodes.CONFIG_INVALID,
    `invalid size ${JSON.stringify(text)}: expected a number with a unit such as "512KB", "10MB" or "1GB" (base 2), or 0`,
  );
}

const duration = z.string().transform((text, ctx) => {
  try {
    return parseDurationMs(text);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration ${JSON.stringify(text)}: expected a duration such as "15s", "1m" or "1h30m"`,
    });
    return z.NEVER;
  }
});

/** YAML scalars where Prometheus expects a string (Go reads `200` into a string field). */
const scalarString = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

const labelName = z.string().refine(isValidLabelName, {
  message: 'expected a label name matching [a-zA-Z_][a-zA-Z0-9_]*',
});

const nonNegativeInt = z.number().int().min(0);

const size = z.union([z.string(), z.number()]).transform((text, ctx) => {
  try {
    return parseSizeBytes(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** Schema of one relabelling rule (`relabel_configs[*]`, `metric_relabel_configs[*]`); output compiled. */
export const relabelConfigSchema = z
  .strictObject({
    source_labels: z.array(z.string()).optional(),
    separator: scalarString.optional(),
    regex: scalarString.optional(),
    modulus: nonNegativeInt.optional(),
    target_label: z.string().optional(),
    replacement: scalarString.optional(),
    action: z.string().optional(),
  })
  .transform((raw: RawRelabelConfig, ctx): RelabelConfig => {
    try {
      return compileRelabelConfig(raw);
    } catch (err) {
      const field = (err as VigilError).details?.['field'];
      ctx.addIssue({
        code: 'custom',
        message: (err as Error).message,
        path: typeof field === 'string' ? [field] : [],
      });
      return z.NEVER;
    }
  });

const RESERVED_HEADERS = new Set(
  [
    'authorization',
    'host',
    'content-encoding',
    'content-length',
    'content-type',
    'user-agent',
    'connection',
    'keep-alive',
    'proxy-authenticate',
    'proxy-authorization',
    'www-authenticate',
    'accept-encoding',
    'x-prometheus-scrape-timeout-seconds',
    'upgrade',
    'te',
    'trailer',
    'transfer-encoding',
  ].map((h) => h.toLowerCase()),
);

const headerValues = z.union([
  z.string().transform((v) => [v]),
  z.array(z.string()),
  z
    .strictObject({
      values: z.array(z.string()).optional(),
      secrets: z.array(z.string()).optional(),
    })
    .transform((h) => [...(h.values ?? []), ...(h.secrets ?? [])]),
]);

/**
 * Schema of one `scrape_configs` entry (Prometheus YAML keys). Durations come
 * out in ms and sizes in bytes, relabelling rules compiled; defaults that
 * depend on the `global` section are applied by {@link resolveScrapeConfigs}.
 * Embed it in a larger config schema; unknown keys are errors.
 */
export const scrapeConfigSchema = z
  .strictObject({
    job_name: z.string().min(1, 'expected a non-empty job name'),
    scrape_interval: duration.optional(),
    scrape_timeout: duration.optional(),
    metrics_path: z
      .string()
      .refine((p) => p.startsWith('/'), { message: 'expected a path starting with "/"' })
      .optional(),
    scheme: z.enum(['http', 'https']).optional(),
    params: z.record(z.string(), z.array(z.string())).optional(),
    static_configs: z
      .array(
        z.strictObject({
          targets: z.array(
            z
              .string()
              .min(1)
              .refine((t) => !t.includes('/'), {
                message: 'expected a host:port address without scheme or path',
              }),
          ),
          labels: z.record(labelName, scalarString).optional(),
        }),
      )
      .optional(),
    honor_labels: z.boolean().optional(),
    honor_timestamps: z.boolean().optional(),
    enable_compression: z.boolean().optional(),
    authorization: z
      .strictObject({
        type: z.string().optional(),
        credentials: z.string().optional(),
        credentials_file: z.string().optional(),
      })
      .optional(),
    bearer_token: z.string().optional(),
    bearer_token_file: z.string().optional(),
    basic_auth: z
      .strictObject({
        username: scalarString,
        password: scalarString.optional(),
        password_file: z.string().optional(),
      })
      .optional(),
    tls_config: z
      .strictObject({
        ca_file: z.string().optional(),
        cert_file: z.string().optional(),
        key_file: z.string().optional(),
        server_name: z.string().optional(),
        insecure_skip_verify: z.boolean().optional(),
      })
      .optional(),
    http_headers: z
      .record(
        z.string().refine((h) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(h), {
          message: 'expected an HTTP header name',
        }),
        headerValues,
      )
      .optional(),
    relabel_configs: z.array(relabelConfigSchema).optional(),
    metric_relabel_configs: z.array(relabelConfigSchema).optional(),
    sample_limit: nonNegativeInt.optional(),
    body_size_limit: size.optional(),
    label_limit: nonNegativeInt.optional(),
    label_name_length_limit: nonNegativeInt.optional(),
    label_value_length_limit: nonNegativeInt.optional(),
  })
  .superRefine((c, ctx) => {
    const auths = [
      c.authorization !== undefined ? 'authorization' : '',
      c.bearer_token !== undefined ? 'bearer_token' : '',
      c.bearer_token_file !== undefined ? 'bearer_token_file' : '',
      c.basic_auth !== undefined ? 'basic_auth' : '',
    ].filter((a) => a !== '');
    if (auths.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [auths[1]!],
        message: `at most one of authorization, bearer_token, bearer_token_file and basic_auth may be set (found ${auths.join(', ')})`,
      });
    }
    if (
      c.authorization?.credentials !== undefined &&
      c.authorization.credentials_file !== undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['authorization'],
        message: 'set credentials or credentials_file, not both',
      });
    }
    if (c.authorization?.type?.toLowerCase() === 'basic') {
      ctx.addIssue({
        code: 'custom',
        path: ['authorization', 'type'],
        message: 'authorization type "Basic" is not allowed: use basic_auth',
      });
    }
    if (c.basic_auth?.password !== undefined && c.basic_auth.password_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['basic_auth'],
        message: 'set password or password_file, not both',
      });
    }
    for (const name of Object.keys(c.http_headers ?? {})) {
      if (RESERVED_HEADERS.has(name.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: ['http_headers', name],
          message: `header ${name} is reserved and cannot be set here`,
        });
      }
    }
    if (c.scrape_interval !== undefined && c.scrape_interval <= 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['scrape_interval'],
        message: 'expected a positive duration',
      });
    }
  });

/** What {@link scrapeConfigSchema} produces: the YAML keys, parsed, before global defaults. */
export type ParsedScrapeConfig = z.output<typeof scrapeConfigSchema>;

/** Schema of the whole `scrape_configs` list; job names must be unique. */
export const scrapeConfigsSchema = z.array(scrapeConfigSchema).superRefine((list, ctx) => {
  const seen = new Map<string, number>();
  list.forEach((c, i) => {
    const first = seen.get(c.job_name);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'job_name'],
        message: `job name ${JSON.stringify(c.job_name)} is already used by scrape_configs[${first}]: job names must be unique`,
      });
    } else seen.set(c.job_name, i);
  });
});

/**
 * Formats a zod issue path as `scrape_configs[2].relabel_configs[0].regex`
 * (`root` first; with an empty root the path starts at its first key).
 */
export function formatConfigPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
        ? (out === '' ? '' : '.') + key
        : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

function globalDurationMs(
  value: string | number | undefined,
  fallback: number,
  what: string,
  source: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value > 0) return value;
  } else {
    try {
      const ms = parseDurationMs(value);
      if (ms > 0) return ms;
    } catch {
      // reported below
    }
  }
  throw new VigilError(
    ErrorCodes.CONFIG_INVALID,
    `${source}: global.${what}: invalid duration ${JSON.stringify(value)}; expected a positive duration such as "15s" or "1m".`,
    { details: { source, path: `global.${what}` } },
  );
}

/**
 * Applies global defaults to parsed jobs (see {@link scrapeConfigSchema}).
 *
 * @throws VigilError `CONFIG_INVALID` when a timeout exceeds its interval.
 */
export function resolveScrapeConfigs(
  parsed: readonly ParsedScrapeConfig[],
  options: ParseScrapeConfigsOptions,
): ScrapeConfig[] {
  const { source } = options;
  const g = options.global ?? {};
  const globalIntervalMs = globalDurationMs(
    g.scrape_interval,
    DEFAULT_SCRAPE_INTERVAL_MS,
    'scrape_interval',
    source,
  );
  const globalTimeoutMs = globalDurationMs(
    g.scrape_timeout,
    DEFAULT_SCRAPE_TIMEOUT_MS,
    'scrape_timeout',
    source,
  );
  if (g.scrape_timeout !== undefined && globalTimeoutMs > globalIntervalMs) {
    throw new VigilError(
      ErrorCodes.CONFIG_INVALID,
      `${source}: global.scrape_timeout: ${formatDurationMs(globalTimeoutMs)} is greater than global.scrape_interval ${formatDurationMs(globalIntervalMs)}; expected a timeout no longer than the interval.`,
      { details: { source, path: 'global.scrape_timeout' } },
    );
  }
  return parsed.map((c, i) => {
    const intervalMs = c.scrape_interval ?? globalIntervalMs;
    let timeoutMs: number;
    if (c.scrape_timeout !== undefined) {
      timeoutMs = c.scrape_timeout;
      if (timeoutMs > intervalMs || timeoutMs <= 0) {
        const path = `scrape_configs[${i}].scrape_timeout`;
        throw new VigilError(
          ErrorCodes.CONFIG_INVALID,
          `${source}: ${path}: ${formatDurationMs(timeoutMs)} is not a valid timeout for job ${JSON.stringify(c.job_name)}; expected a positive duration no longer than its scrape_interval (${formatDurationMs(intervalMs)}).`,
          { details: { source, path } },
        );
      }
    } else {
      timeoutMs = Math.min(globalTimeoutMs, intervalMs);
    }
    let authorization: AuthorizationConfig | undefined;
    if (c.authorization !== undefined) {
      authorization = {
        type: c.authorization.type ?? 'Bearer',
        ...(c.authorization.credentials !== undefined
          ? { credentials: c.authorization.credentials }
          : {}),
        ...(c.authorization.credentials_file !== undefined
          ? { credentialsFile: c.authorization.credentials_file }
          : {}),
      };
    } else if (c.bearer_token !== undefined) {
      authorization = { type: 'Bearer', credentials: c.bearer_token };
    } else if (c.bearer_token_file !== undefined) {
      authorization = { type: 'Bearer', credentialsFile: c.bearer_token_file };
    }
    const basicAuth: BasicAuthConfig | undefined =
      c.basic_auth === undefined
        ? undefined
        : {
            username: c.basic_auth.username,
            ...(c.basic_auth.password !== undefined ? { password: c.basic_auth.password } : {}),
            ...(c.basic_auth.password_file !== undefined
              ? { passwordFile: c.basic_auth.password_file }
              : {}),
          };
    const tls = c.tls_config;
    const tlsConfig: TlsConfig | undefined =
      tls === undefined
        ? undefined
        : {
            ...(tls.ca_file !== undefined ? { caFile: tls.ca_file } : {}),
            ...(tls.cert_file !== undefined ? { certFile: tls.cert_file } : {}),
            ...(tls.key_file !== undefined ? { keyFile: tls.key_file } : {}),
            ...(tls.server_name !== undefined ? { serverName: tls.server_name } : {}),
            insecureSkipVerify: tls.insecure_skip_verify ?? false,
          };
    return {
      jobName: c.job_name,
      scrapeIntervalMs: intervalMs,
      scrapeTimeoutMs: timeoutMs,
      metricsPath: c.metrics_path ?? '/metrics',
      scheme: c.scheme ?? 'http',
      params: c.params ?? {},
      staticConfigs: (c.static_configs ?? []).map((s) => ({
        targets: s.targets,
        labels: s.labels ?? {},
      })),
      honorLabels: c.honor_labels ?? false,
      honorTimestamps: c.honor_timestamps ?? true,
      enableCompression: c.enable_compression ?? true,
      authorization,
      basicAuth,
      tlsConfig,
      httpHeaders: c.http_headers ?? {},
      relabelConfigs: c.relabel_configs ?? [],
      metricRelabelConfigs: c.metric_relabel_configs ?? [],
      sampleLimit: c.sample_limit ?? 0,
      bodySizeLimitBytes: c.body_size_limit ?? DEFAULT_BODY_SIZE_LIMIT_BYTES,
      labelLimit: c.label_limit ?? 0,
      labelNameLengthLimit: c.label_name_length_limit ?? 0,
      labelValueLengthLimit: c.label_value_length_limit ?? 0,
    };
  });
}

/**
 * Validates the value of `scrape_configs` (the list, as loaded from YAML)
 * and returns the jobs with every default applied.
 *
 * @throws VigilError `CONFIG_INVALID`, or `RELABEL_CONFIG_INVALID` when the
 *   first problem is in a relabelling rule; the message names the source,
 *   the path (`scrape_configs[2].relabel_configs[0].regex`) and what was
 *   expected, and `details.issues` lists every problem found.
 */
export function parseScrapeConfigs(
  raw: unknown,
  options: ParseScrapeConfigsOptions,
): ScrapeConfig[] {
  const result = scrapeConfigsSchema.safeParse(raw ?? []);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      path: formatConfigPath('scrape_configs', issue.path),
      message: issue.message,
    }));
    const first = result.error.issues[0]!;
    const relabel = first.path.some(
      (p) => p === 'relabel_configs' || p === 'metric_relabel_configs',
    );
    const shown = issues
      .slice(0, 5)
      .map((i) => `${i.path}: ${i.message}`)
      .join('; ');
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
    throw new VigilError(
      relabel ? ErrorCodes.RELABEL_CONFIG_INVALID : ErrorCodes.CONFIG_INVALID,
      `Invalid scrape configuration in ${options.source}: ${shown}${more}.`,
      { details: { source: options.source, issues } },
    );
  }
  return resolveScrapeConfigs(result.data, options);
}
