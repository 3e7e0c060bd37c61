/**
 * The `vigil server` configuration file: one YAML document, validated once
 * with zod, every default named here.
 *
 * ```yaml
 * global:
 *   scrape_interval: 1m        # Prometheus's default
 *   scrape_timeout: 10s
 *   external_labels: {}
 * storage:
 *   path: ./data               # relative to the working directory
 *   retention: { time: 15d, size: 0 }   # size: bytes or "10GB" (base 2); 0 = no limit
 * server:
 *   listen: 127.0.0.1:9090
 * remote_write_receiver:
 *   enabled: true
 *   max_body_bytes: 16MiB      # compressed, as sent
 *   max_decoded_bytes: 64MiB   # after snappy decompression
 * query:                       # the PromQL engine (Prometheus's defaults)
 *   lookback_delta: 5m
 *   timeout: 2m
 *   max_samples: 50000000
 *   max_concurrency: 20
 *   remote:                    # optional: rules and SLOs query this API instead
 *     url: http://prometheus:9090
 *     bearer_token: ...        # or basic_auth: { username, password }
 *     headers: {}
 *     timeout: 2m
 * rule_files: []               # Prometheus rule files; patterns allowed (rules/*.yml)
 * slo_files: []                # SLO specs: Vigil YAML, OpenSLO v1, Sloth prometheus/v1
 * slo:
 *   evaluation_interval: 1m    # default: global.evaluation_interval
 *   alerts: true               # evaluate the SLOs' burn-rate alerts here
 *   time_scale: 1              # demos only: every SLO window divided by this (60: 30d lasts 12h)
 * scrape_configs: []           # Prometheus's format, see @vigil/scrape
 * ```
 *
 * `server.listen` defaults to loopback, not `0.0.0.0`: the server has no
 * authentication yet, and accepts writes; exposing it is a decision the
 * operator makes explicitly (`listen: 0.0.0.0:9090` or `--listen`).
 *
 * The remote-write receiver is on by default (Prometheus needs
 * `--web.enable-remote-write-receiver`): pushing into Vigil is one of its
 * purposes, and the default listen address keeps it local.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ErrorCodes, VigilError, isValidLabelName } from '@vigil/model';
import { parseScrapeConfigs, parseSizeBytes } from '@vigil/scrape';
import type { ScrapeConfig } from '@vigil/scrape';
import { durationString, invalidDocument } from './yaml-schema.js';

/** Default storage directory, relative to the working directory. */
export const DEFAULT_STORAGE_PATH = './data';
/** Default retention by time: 15 days (Prometheus's default), in ms. */
export const DEFAULT_RETENTION_MS = 15 * 86_400_000;
/** Default listen address: loopback only (see the module note). */
export const DEFAULT_LISTEN = '127.0.0.1:9090';
/** Default limit of a remote-write body as sent: 16 MiB. */
export const DEFAULT_REMOTE_WRITE_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Default limit of a remote-write body after decompression: 64 MiB. */
export const DEFAULT_REMOTE_WRITE_MAX_DECODED_BYTES = 64 * 1024 * 1024;
/** Default `query:` settings: Prometheus's defaults (lookback 5m, timeout 2m, 50M samples, 20 queries). */
export const DEFAULT_QUERY_CONFIG: Omit<QueryConfig, 'remote'> = Object.freeze({
  lookbackDeltaMs: 5 * 60_000,
  timeoutMs: 2 * 60_000,
  maxSamples: 50_000_000,
  maxConcurrency: 20,
});

/** The validated configuration, with every default applied. Immutable. */
export interface VigilConfig {
  /** Where it came from (the file name, or `<defaults>`), for messages. */
  readonly source: string;
  readonly global: {
    readonly scrapeIntervalMs: number;
    readonly scrapeTimeoutMs: number;
    /** How often rule groups without their own `interval` run, ms. Default 1 minute. */
    readonly evaluationIntervalMs: number;
    readonly externalLabels: Readonly<Record<string, string>>;
  };
  readonly storage: {
    /** The TSDB directory. */
    readonly path: string;
    /** Time retention in ms; 0 = keep forever. */
    readonly retentionMs: number;
    /** Size retention in bytes; 0 = no limit. */
    readonly retentionBytes: number;
  };
  readonly server: {
    /** `host:port` as written (`[::1]:9090` for IPv6). */
    readonly listen: string;
    readonly host: string;
    readonly port: number;
  };
  readonly remoteWriteReceiver: {
    readonly enabled: boolean;
    readonly maxBodyBytes: number;
    readonly maxDecodedBytes: number;
  };
  /** The PromQL engine and the query backend. */
  readonly query: QueryConfig;
  /** Scrape jobs, resolved by @vigil/scrape. */
  readonly scrapeConfigs: readonly ScrapeConfig[];
  /**
   * Prometheus rule files, as absolute paths or patterns (`*` and `?` in the
   * file name), resolved against the configuration file's directory.
   */
  readonly ruleFiles: readonly string[];
  /**
   * SLO spec files (Vigil YAML, OpenSLO v1, Sloth `prometheus/v1`), as
   * absolute paths or patterns, resolved like `ruleFiles`.
   */
  readonly sloFiles: readonly string[];
  /** The `slo:` section. */
  readonly slo: SloConfig;
}

/** The `slo:` section, validated, defaults applied. */
export interface SloConfig {
  /** How often the SLO engine evaluates every SLO, ms. Default `global.evaluation_interval`. */
  readonly evaluationIntervalMs: number;
  /** Whether the SLOs' burn-rate, budget-exhausted and no-data alerts are evaluated here. Default true. */
  readonly alerts: boolean;
  /**
   * A demo setting: every SLO's window, alert windows, time slices and
   * no-data delay are divided by this factor (`scaleSlo` in @vigil/slo), so
   * that 30 days last 12 hours at 60. Default 1 (real time).
   */
  readonly timeScale: number;
}

/** The `query:` section, validated, defaults applied. */
export interface QueryConfig {
  /** How far back an instant selector looks for a sample, ms. Default 5 minutes. */
  readonly lookbackDeltaMs: number;
  /** Longest a query may run (or wait for its turn), ms. Default 2 minutes. */
  readonly timeoutMs: number;
  /** Most samples one query may hold in memory. Default 50 million. */
  readonly maxSamples: number;
  /** Queries evaluated at once; more wait their turn. Default 20. */
  readonly maxConcurrency: number;
  /**
   * A remote Prometheus-compatible API that the server's query backend
   * (`RunningServer.queryApi`, used by rules and SLOs) talks to instead of
   * the local engine. The server's own `/api/v1` always answers from its
   * store. Undefined: the local engine.
   */
  readonly remote: RemoteQueryConfig | undefined;
}

/** `query.remote`. */
export interface RemoteQueryConfig {
  /** Base URL, e.g. `http://prometheus:9090`. */
  readonly url: string;
  readonly bearerToken: string | undefined;
  readonly basicAuth: { readonly username: string; readonly password: string } | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** Longest a remote query may take, ms. Default: `query.timeout`. */
  readonly timeoutMs: number;
}

/** Values that override the file (from flags or the environment); undefined = not overridden. */
export interface ConfigOverrides {
  readonly storagePath?: string | undefined;
  readonly listen?: string | undefined;
  /** Where the overrides came from, for messages (default `"--listen"` / `"--storage.path"`). */
  readonly listenFrom?: string | undefined;
  readonly storagePathFrom?: string | undefined;
}

const sizeValue = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseSizeBytes(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const listenAddress = z.string().refine((text) => parseListen(text) !== undefined, {
  message: 'expected host:port, such as "127.0.0.1:9090", "0.0.0.0:9090" or "[::1]:9090"',
});

const fileSchema = z.strictObject({
  global: z
    .strictObject({
      scrape_interval: durationString('duration').optional(),
      scrape_timeout: durationString('duration').optional(),
      evaluation_interval: durationString('duration').optional(),
      external_labels: z
        .record(
          z.string().refine(isValidLabelName, {
            message: 'expected a label name matching [a-zA-Z_][a-zA-Z0-9_]*',
          }),
          z.string(),
        )
        .optional(),
    })
    .nullish(),
  storage: z
    .strictObject({
      path: z.string().min(1, 'expected a directory path').optional(),
      retention: z
        .strictObject({
          time: durationString('retention time').optional(),
          size: sizeValue.optional(),
        })
        .nullish(),
    })
    .nullish(),
  server: z.strictObject({ listen: listenAddress.optional() }).nullish(),
  remote_write_receiver: z
    .strictObject({
      enabled: z.boolean().optional(),
      max_body_bytes: sizeValue
        .refine((n) => n > 0, { message: 'expected a size above 0' })
        .optional(),
      max_decoded_bytes: sizeValue
        .refine((n) => n > 0, { message: 'expected a size above 0' })
        .optional(),
    })
    .nullish(),
  query: z
    .strictObject({
      lookback_delta: durationString('duration')
        .refine((ms) => ms > 0, { message: 'expected a duration above 0' })
        .optional(),
      timeout: durationString('duration')
        .refine((ms) => ms > 0, { message: 'expected a duration above 0' })
        .optional(),
      max_samples: z
        .number()
        .int('expected a whole number')
        .positive('expected a number above 0')
        .optional(),
      max_concurrency: z
        .number()
        .int('expected a whole number')
        .positive('expected a number above 0')
        .optional(),
      remote: z
        .strictObject({
          url: z.string().refine(isHttpUrl, {
            message: 'expected an absolute http(s) URL such as "http://prometheus:9090"',
          }),
          bearer_token: z.string().min(1, 'expected a token').optional(),
          basic_auth: z.strictObject({ username: z.string(), password: z.string() }).optional(),
          headers: z.record(z.string(), z.string()).optional(),
          timeout: durationString('duration')
            .refine((ms) => ms > 0, { message: 'expected a duration above 0' })
            .optional(),
        })
        .refine((r) => r.bearer_token === undefined || r.basic_auth === undefined, {
          message: 'expected bearer_token or basic_auth, not both',
        })
        .nullish(),
    })
    .nullish(),
  rule_files: z.array(z.string().min(1, 'expected a file path or pattern')).nullish(),
  slo_files: z.array(z.string().min(1, 'expected a file path or pattern')).nullish(),
  slo: z
    .strictObject({
      evaluation_interval: durationString('duration')
        .refine((ms) => ms > 0, { message: 'expected a duration above 0' })
        .optional(),
      alerts: z.boolean().optional(),
      time_scale: z
        .number()
        .finite()
        .min(1, 'expected a factor of at least 1 (1 = real time)')
        .optional(),
    })
    .nullish(),
  scrape_configs: z.unknown().optional(),
});

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Parses `host:port` / `[v6]:port`; undefined when malformed. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2]!;
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function configError(source: string, path: string, message: string, cause?: unknown): VigilError {
  return new VigilError(ErrorCodes.CONFIG_INVALID, `${source}: ${path}: ${message}.`, {
    cause,
    details: { source, path },
  });
}

/**
 * Validates a configuration document (already parsed from YAML) and applies
 * defaults and overrides.
 *
 * @throws VigilError `CONFIG_INVALID` (or `RELABEL_CONFIG_INVALID` from the
 *   scrape section) naming `source`, the path in the document and what was
 *   expected; `details.issues` lists every problem found.
 */
export function parseConfig(
  document: unknown,
  source: string,
  overrides: ConfigOverrides = {},
): VigilConfig {
  const result = fileSchema.safeParse(document ?? {});
  if (!result.success) throw invalidDocument(ErrorCodes.CONFIG_INVALID, source, result.error);
  const f = result.data;
  const g = f.global ?? {};
  const scrapeIntervalMs = g.scrape_interval ?? 60_000;
  const scrapeTimeoutMs = g.scrape_timeout ?? Math.min(10_000, scrapeIntervalMs);
  if (scrapeIntervalMs <= 0) {
    throw configError(source, 'global.scrape_interval', 'expected a duration above 0');
  }
  if (scrapeTimeoutMs <= 0 || scrapeTimeoutMs > scrapeIntervalMs) {
    throw configError(
      source,
      'global.scrape_timeout',
      `expected a duration above 0 and at most global.scrape_interval (${scrapeIntervalMs} ms)`,
    );
  }
  const externalLabels = g.external_labels ?? {};
  const evaluationIntervalMs = g.evaluation_interval ?? 60_000;
  if (evaluationIntervalMs <= 0) {
    throw configError(source, 'global.evaluation_interval', 'expected a duration above 0');
  }
  const configDir = source.startsWith('<') ? process.cwd() : dirname(resolve(source));
  const ruleFiles = (f.rule_files ?? []).map((file) => resolve(configDir, file));
  const sloFiles = (f.slo_files ?? []).map((file) => resolve(configDir, file));
  const scrapeConfigs = parseScrapeConfigs(f.scrape_configs ?? [], {
    source,
    global: {
      scrape_interval: scrapeIntervalMs,
      scrape_timeout: scrapeTimeoutMs,
      external_labels: externalLabels,
    },
  });
  const listen = overrides.listen ?? f.server?.listen ?? DEFAULT_LISTEN;
  const address = parseListen(listen);
  if (address === undefined) {
    throw configError(
      overrides.listen !== undefined ? (overrides.listenFrom ?? '--listen') : source,
      'server.listen',
      `invalid address ${JSON.stringify(listen)}: expected host:port, such as "127.0.0.1:9090"`,
    );
  }
  const storagePath = overrides.storagePath ?? f.storage?.path ?? DEFAULT_STORAGE_PATH;
  if (storagePath === '')
    throw configError(
      overrides.storagePath !== undefined
        ? (overrides.storagePathFrom ?? '--storage.path')
        : source,
      'storage.path',
      'expected a directory path',
    );
  const rw = f.remote_write_receiver ?? {};
  const q = f.query ?? {};
  const timeoutMs = q.timeout ?? DEFAULT_QUERY_CONFIG.timeoutMs;
  const remote =
    q.remote === undefined || q.remote === null
      ? undefined
      : {
          url: q.remote.url,
          bearerToken: q.remote.bearer_token,
          basicAuth: q.remote.basic_auth,
          headers: q.remote.headers ?? {},
          timeoutMs: q.remote.timeout ?? timeoutMs,
        };
  return {
    source,
    global: { scrapeIntervalMs, scrapeTimeoutMs, evaluationIntervalMs, externalLabels },
    storage: {
      path: storagePath,
      retentionMs: f.storage?.retention?.time ?? DEFAULT_RETENTION_MS,
      retentionBytes: f.storage?.retention?.size ?? 0,
    },
    server: { listen, host: address.host, port: address.port },
    remoteWriteReceiver: {
      enabled: rw.enabled ?? true,
      maxBodyBytes: rw.max_body_bytes ?? DEFAULT_REMOTE_WRITE_MAX_BODY_BYTES,
      maxDecodedBytes: rw.max_decoded_bytes ?? DEFAULT_REMOTE_WRITE_MAX_DECODED_BYTES,
    },
    query: {
      lookbackDeltaMs: q.lookback_delta ?? DEFAULT_QUERY_CONFIG.lookbackDeltaMs,
      timeoutMs,
      maxSamples: q.max_samples ?? DEFAULT_QUERY_CONFIG.maxSamples,
      maxConcurrency: q.max_concurrency ?? DEFAULT_QUERY_CONFIG.maxConcurrency,
      remote,
    },
    scrapeConfigs,
    ruleFiles,
    sloFiles,
    slo: {
      evaluationIntervalMs: f.slo?.evaluation_interval ?? evaluationIntervalMs,
      alerts: f.slo?.alerts ?? true,
      timeScale: f.slo?.time_scale ?? 1,
    },
  };
}

/**
 * Parses YAML text into a configuration.
 *
 * @throws VigilError `CONFIG_INVALID` for YAML syntax errors (with line and
 *   column) and for everything {@link parseConfig} refuses.
 */
export function parseConfigText(
  text: string,
  source: string,
  overrides: ConfigOverrides = {},
): VigilConfig {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const where =
      err instanceof YAMLParseError && err.linePos !== undefined
        ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}`
        : '(YAML)';
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw configError(source, where, `not valid YAML: ${message}`, err);
  }
  if (document !== null && (typeof document !== 'object' || Array.isArray(document))) {
    throw configError(
      source,
      '(top level)',
      'expected a mapping of sections (global, storage, ...)',
    );
  }
  return parseConfig(document, source, overrides);
}

/**
 * Reads and validates the configuration file at `file`.
 *
 * @throws VigilError `CONFIG_INVALID` when the file cannot be read or is invalid.
 */
export function loadConfig(file: string, overrides: ConfigOverrides = {}): VigilConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new VigilError(
      ErrorCodes.CONFIG_INVALID,
      `${file}: cannot read the configuration file (${(err as NodeJS.ErrnoException).code ?? String(err)}); pass an existing file with --config.`,
      { cause: err, details: { source: file } },
    );
  }
  return parseConfigText(text, file, overrides);
}
