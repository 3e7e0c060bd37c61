/**
 * The composition root of `vigil server`: the store, the scraper appending
 * to it, and the HTTP app (remote write into the store, `/metrics`).
 * Each part is built by a small factory, so that tests and later issues can
 * swap one without touching the others.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { stringify as stringifyYaml } from 'yaml';
import { formatDurationMs } from '@vigil/model';
import { Engine } from '@vigil/promql';
import type { QueryApi } from '@vigil/promql';
import { openTsdb } from '@vigil/tsdb';
import type { Tsdb } from '@vigil/tsdb';
import { ScrapeManager } from '@vigil/scrape';
import { RuleManager } from '@vigil/rules';
import { SloEngine } from '@vigil/slo';
import { Gauge, Registry, collectProcessMetrics } from '@vigil/sdk';
import type { Logger } from '@vigil/sdk';
import type { FastifyInstance } from 'fastify';
import { createServerApp } from './http/app.js';
import type { ApiBuildInfo } from './http/api/routes.js';
import { RemoteQueryApi } from './query/remote-query-api.js';
import { registerSloRoutes } from './http/slos.js';
import { loadRuleFiles } from './rules.js';
import { loadSlos } from './slos.js';
import type { LoadedSlos } from './slos.js';
import type { VigilConfig } from './config.js';
import { vigilVersion } from './version.js';

/** The local PromQL engine over `storage`, with the `query:` limits. */
export function createEngine(config: VigilConfig, storage: Tsdb): Engine {
  return new Engine({
    queryable: storage,
    lookbackDeltaMs: config.query.lookbackDeltaMs,
    timeoutMs: config.query.timeoutMs,
    maxSamples: config.query.maxSamples,
    maxConcurrentQueries: config.query.maxConcurrency,
  });
}

/** The query backend `config` selects: `query.remote`, or else `engine`. */
export function createQueryApi(config: VigilConfig, engine: Engine): QueryApi {
  const remote = config.query.remote;
  if (remote === undefined) return engine;
  return new RemoteQueryApi({
    url: remote.url,
    bearerToken: remote.bearerToken,
    basicAuth: remote.basicAuth,
    headers: remote.headers,
    timeoutMs: remote.timeoutMs,
  });
}

/** A one-line description of the query backend, for the start-up lines. */
export function describeQueryBackend(config: VigilConfig): string {
  const q = config.query;
  const local = `local engine (lookback ${formatDurationMs(q.lookbackDeltaMs)}, timeout ${formatDurationMs(q.timeoutMs)}, max ${q.maxSamples} samples, ${q.maxConcurrency} at once)`;
  return q.remote === undefined
    ? local
    : `remote ${q.remote.url} (timeout ${formatDurationMs(q.remote.timeoutMs)}); /api/v1 answers from the local store with the ${local}`;
}

/** The retention in force, as the status lines and runtimeinfo show it (`15d`, `15d or 10737418240B`, `none`). */
export function formatRetention(config: VigilConfig): string {
  const { retentionMs, retentionBytes } = config.storage;
  const time =
    retentionMs <= 0
      ? ''
      : retentionMs % 86_400_000 === 0
        ? `${retentionMs / 86_400_000}d`
        : formatDurationMs(retentionMs);
  return (
    [time, retentionBytes > 0 ? `${retentionBytes}B` : ''].filter((x) => x !== '').join(' or ') ||
    'none'
  );
}

const SECRET_KEY = /password|token|secret|authorization/i;

/** The configuration as YAML for `/api/v1/status/config`, secrets replaced by `<secret>`. */
function configYaml(config: VigilConfig): string {
  const redact = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(redact);
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = SECRET_KEY.test(k) && v !== undefined ? '<secret>' : redact(v);
      }
      return out;
    }
    return value;
  };
  return stringifyYaml(redact(JSON.parse(JSON.stringify(config)) as unknown));
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /**
   * Reads the configuration again for `POST /-/reload` (the CLI passes the
   * same loader SIGHUP uses). Without it, `/-/reload` is not served.
   */
  readonly loadConfig?: () => VigilConfig;
}

/** Opens the embedded store described by `config.storage`, its metrics on `registry`. */
export function openStorage(config: VigilConfig, registry: Registry, logger: Logger): Tsdb {
  mkdirSync(config.storage.path, { recursive: true });
  return openTsdb(config.storage.path, {
    retentionMs: config.storage.retentionMs,
    retentionBytes: config.storage.retentionBytes,
    registry,
    logger: logger.child({ component: 'tsdb' }),
  });
}

/** Builds the scrape manager appending to `storage` (not started: call `applyConfig`). */
export function createScraper(
  config: VigilConfig,
  storage: Tsdb,
  registry: Registry,
  logger: Logger,
): ScrapeManager {
  return new ScrapeManager({
    appendable: storage,
    registry,
    logger: logger.child({ component: 'scrape' }),
    externalLabels: config.global.externalLabels,
  });
}

/** A started server. */
export interface RunningServer {
  /** The address the HTTP app listens on (`http://host:port`). */
  readonly url: string;
  readonly storage: Tsdb;
  readonly scraper: ScrapeManager;
  readonly app: FastifyInstance;
  readonly registry: Registry;
  /** The local PromQL engine over `storage`; the HTTP API's `/api/v1/query` uses it. */
  readonly engine: Engine;
  /**
   * The query backend for rules, SLOs and incidents: the local `engine`,
   * or a {@link RemoteQueryApi} when `query.remote` is configured.
   */
  readonly queryApi: QueryApi;
  /**
   * Evaluates the `rule_files` groups over `queryApi`, writing recording
   * rules and `ALERTS` into the store; `/api/v1/rules` and `/api/v1/alerts`
   * read it.
   */
  readonly rules: RuleManager;
  /**
   * Evaluates the `slo_files` SLOs every `slo.evaluation_interval` over
   * `queryApi`, writing their history series into the store; `/api/v1/slos`
   * reads it. The SLOs' alerts are groups in `rules`.
   */
  readonly slos: SloEngine;
  /** The SLO specs currently loaded (replaced by a reload). */
  loadedSlos(): LoadedSlos;
  /**
   * Applies a new configuration without a restart, as Prometheus does on
   * SIGHUP: scrape jobs and targets change (removed targets get staleness
   * markers, unchanged ones keep scraping), rule and SLO files are read again. Storage, listen
   * address, receiver, query and `slo:` settings take effect only at the next start; a change to them
   * is logged as a warning. Reloads run one at a time.
   */
  reload(config: VigilConfig): Promise<void>;
  /**
   * Loads the configuration with `StartServerOptions.loadConfig` and applies
   * it (what `POST /-/reload` does); a file that does not load counts as a
   * failed reload. Undefined without `loadConfig`.
   */
  readonly reloadFromSource: (() => Promise<VigilConfig>) | undefined;
  /** Records a reload that failed before it could be applied (a bad file), for the metrics. */
  reloadFailed(): void;
  /**
   * Stops scraping, closes the HTTP server (in-flight requests finish),
   * then closes the store. Idempotent; concurrent calls share one stop.
   */
  stop(): Promise<void>;
}

/** The sections a reload cannot change, compared as JSON. */
function restartOnly(config: VigilConfig): string {
  return JSON.stringify([
    config.storage,
    config.server,
    config.remoteWriteReceiver,
    config.query,
    config.slo,
  ]);
}

/** The SLO engine's default shortest query window (5 minutes), ms. */
const DEFAULT_SLO_QUERY_WINDOW_MS = 5 * 60_000;

/**
 * The SLO engine's shortest query window under a time scale: 5 minutes
 * divided by the scale, but never below two of the longest scrape interval,
 * so that PromQL's `rate` always has two samples.
 */
export function sloQueryWindowMs(config: VigilConfig): number {
  const longestScrapeMs = Math.max(
    config.global.scrapeIntervalMs,
    ...config.scrapeConfigs.map((c) => c.scrapeIntervalMs),
  );
  return Math.max(
    Math.round(DEFAULT_SLO_QUERY_WINDOW_MS / config.slo.timeScale),
    2 * longestScrapeMs,
  );
}

/**
 * Starts everything `config` describes. On failure, whatever was started
 * is stopped again before the error is rethrown.
 */
export async function startServer(
  config: VigilConfig,
  logger: Logger,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const startTimeMs = Date.now();
  const registry = new Registry();
  const processMetrics = collectProcessMetrics({ registry });
  let ready = false;
  const storage = openStorage(config, registry, logger);
  let app: FastifyInstance | undefined;
  let scraper: ScrapeManager | undefined;
  let rules: RuleManager | undefined;
  let sloEngine: SloEngine | undefined;
  const teardown = async (): Promise<void> => {
    ready = false;
    try {
      await sloEngine?.stop();
      await rules?.stop();
      await scraper?.stop();
    } finally {
      try {
        await app?.close();
      } finally {
        processMetrics.stop();
        storage.close();
      }
    }
  };
  // Filled in once the reload machinery exists (after listen).
  let reloadFromSource: (() => Promise<VigilConfig>) | undefined;
  let applied = config;
  let lastReloadOk = true;
  let lastConfigTimeMs = startTimeMs;
  try {
    const engine = createEngine(config, storage);
    const queryApi = createQueryApi(config, engine);
    // Rule files are read before anything listens: a broken one stops the start.
    const ruleGroups = loadRuleFiles(config.ruleFiles).groups;
    let slos = await loadSlos(config.sloFiles, {
      alerts: config.slo.alerts,
      timeScale: config.slo.timeScale,
    });
    const ruleManager = new RuleManager({
      queryApi,
      appendable: storage,
      logger: logger.child({ component: 'rules' }),
      externalLabels: config.global.externalLabels,
      defaultIntervalMs: config.global.evaluationIntervalMs,
      registry,
    });
    ruleManager.load([...ruleGroups, ...slos.alertGroups]);
    rules = ruleManager;
    const engineOfSlos = new SloEngine({
      queryApi,
      appendable: storage,
      logger: logger.child({ component: 'slo' }),
      intervalMs: config.slo.evaluationIntervalMs,
      ...(config.slo.timeScale === 1 ? {} : { queryWindowMs: sloQueryWindowMs(config) }),
    });
    engineOfSlos.load(slos.evaluable);
    sloEngine = engineOfSlos;
    const buildInfo: ApiBuildInfo = {
      version: vigilVersion(),
      revision: '',
      branch: '',
      buildUser: '',
      buildDate: '',
      goVersion: process.version,
    };
    app = createServerApp({
      appendable: storage,
      registry,
      logger: logger.child({ component: 'http' }),
      remoteWrite: config.remoteWriteReceiver.enabled,
      limits: {
        remoteWriteMaxBodyBytes: config.remoteWriteReceiver.maxBodyBytes,
        remoteWriteMaxDecodedBytes: config.remoteWriteReceiver.maxDecodedBytes,
      },
      isReady: () => ready,
      api: {
        engine,
        queryable: storage,
        targets: {
          targets: () => scraper?.targets() ?? [],
          droppedTargets: () => scraper?.droppedTargets() ?? [],
        },
        metadata: () => scraper?.metadata() ?? new Map(),
        rules: ruleManager,
        buildInfo,
        runtimeInfo: () => ({
          startTimeMs,
          reloadConfigSuccess: lastReloadOk,
          lastConfigTimeMs,
          storageRetention: formatRetention(applied),
        }),
        flags: () => ({
          'config.file': applied.source,
          'storage.path': applied.storage.path,
          'web.listen-address': applied.server.listen,
          'query.lookback-delta': formatDurationMs(applied.query.lookbackDeltaMs),
          'query.timeout': formatDurationMs(applied.query.timeoutMs),
          'query.max-samples': String(applied.query.maxSamples),
          'query.max-concurrency': String(applied.query.maxConcurrency),
        }),
        configYaml: () => configYaml(applied),
      },
      ...(options.loadConfig === undefined
        ? {}
        : {
            reload: async () => {
              if (reloadFromSource === undefined) throw new Error('Vigil is still starting.');
              await reloadFromSource();
            },
          }),
    });
    registerSloRoutes(
      app,
      {
        statuses: () => engineOfSlos.statuses(),
        policy: (service) => slos.specs.services.find((s) => s.name === service)?.policy,
        queryApi,
      },
      { logger: logger.child({ component: 'http' }) },
    );
    const url = await app.listen({ host: config.server.host, port: config.server.port });
    scraper = createScraper(config, storage, registry, logger);
    await scraper.applyConfig(config.scrapeConfigs);
    ruleManager.start();
    engineOfSlos.start();
    ready = true;
    const reloadOk = new Gauge({
      name: 'vigil_config_last_reload_successful',
      help: 'Whether the last configuration reload (SIGHUP) succeeded: 1, or 0 when it failed and the previous configuration stays in force.',
      registry,
    });
    const reloadTime = new Gauge({
      name: 'vigil_config_last_reload_success_timestamp_seconds',
      help: 'When the configuration was last loaded successfully (start or reload), in seconds since the epoch.',
      registry,
    });
    reloadOk.set(1);
    reloadTime.set(Date.now() / 1000);
    let reloading: Promise<void> = Promise.resolve();
    const running = scraper;
    const reload = (next: VigilConfig): Promise<void> => {
      const run = async (): Promise<void> => {
        try {
          // Rule and SLO files first: a broken one leaves everything as it was.
          const nextRules = loadRuleFiles(next.ruleFiles).groups;
          // The time scale is a start-only setting (config.slo): the running one stays.
          const nextSlos = await loadSlos(next.sloFiles, {
            alerts: next.slo.alerts,
            timeScale: config.slo.timeScale,
          });
          await running.applyConfig(next.scrapeConfigs);
          ruleManager.load([...nextRules, ...nextSlos.alertGroups]);
          engineOfSlos.load(nextSlos.evaluable);
          slos = nextSlos;
        } catch (err) {
          reloadOk.set(0);
          lastReloadOk = false;
          throw err;
        }
        if (restartOnly(next) !== restartOnly(applied)) {
          logger.warn(
            { config: next.source },
            'Storage, listen address, remote-write receiver or query settings changed: they take effect at the next start.',
          );
        }
        applied = next;
        lastReloadOk = true;
        lastConfigTimeMs = Date.now();
        reloadOk.set(1);
        reloadTime.set(lastConfigTimeMs / 1000);
      };
      reloading = reloading.then(run, run);
      return reloading;
    };
    const reloadFailed = (): void => {
      lastReloadOk = false;
      reloadOk.set(0);
    };
    const load = options.loadConfig;
    if (load !== undefined) {
      reloadFromSource = async () => {
        let next: VigilConfig;
        try {
          next = load();
        } catch (err) {
          reloadFailed();
          throw err;
        }
        await reload(next);
        logger.info(
          { config: next.source, scrapeJobs: next.scrapeConfigs.length },
          'Configuration reloaded.',
        );
        return next;
      };
    }
    let stopping: Promise<void> | undefined;
    const started: RunningServer = {
      url,
      storage,
      scraper,
      app,
      registry,
      engine,
      queryApi,
      rules: ruleManager,
      slos: engineOfSlos,
      loadedSlos: () => slos,
      reload,
      reloadFromSource,
      reloadFailed,
      stop: () => (stopping ??= teardown()),
    };
    return started;
  } catch (err) {
    await teardown().catch((closeErr: unknown) =>
      logger.error({ err: closeErr }, 'Cleaning up after a failed start failed.'),
    );
    throw err;
  }
}
