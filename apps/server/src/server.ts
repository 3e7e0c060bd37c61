/**
 * The composition root of `vigil server`: the store, the scraper appending
 * to it, and the HTTP app (remote write into the store, `/metrics`).
 * Each part is built by a small factory, so that tests and later issues can
 * swap one without touching the others.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { openTsdb } from '@vigil/tsdb';
import type { Tsdb } from '@vigil/tsdb';
import { ScrapeManager } from '@vigil/scrape';
import { Gauge, Registry, collectProcessMetrics } from '@vigil/sdk';
import type { Logger } from '@vigil/sdk';
import type { FastifyInstance } from 'fastify';
import { createServerApp } from './http/app.js';
import type { VigilConfig } from './config.js';

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
  /**
   * Applies a new configuration without a restart, as Prometheus does on
   * SIGHUP: scrape jobs and targets change (removed targets get staleness
   * markers, unchanged ones keep scraping). Storage, listen address and
   * receiver settings take effect only at the next start; a change to them
   * is logged as a warning. Reloads run one at a time.
   */
  reload(config: VigilConfig): Promise<void>;
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
  return JSON.stringify([config.storage, config.server, config.remoteWriteReceiver]);
}

/**
 * Starts everything `config` describes. On failure, whatever was started
 * is stopped again before the error is rethrown.
 */
export async function startServer(config: VigilConfig, logger: Logger): Promise<RunningServer> {
  const registry = new Registry();
  const processMetrics = collectProcessMetrics({ registry });
  let ready = false;
  const storage = openStorage(config, registry, logger);
  let app: FastifyInstance | undefined;
  let scraper: ScrapeManager | undefined;
  const teardown = async (): Promise<void> => {
    ready = false;
    try {
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
  try {
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
    });
    const url = await app.listen({ host: config.server.host, port: config.server.port });
    scraper = createScraper(config, storage, registry, logger);
    await scraper.applyConfig(config.scrapeConfigs);
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
    let applied = config;
    let reloading: Promise<void> = Promise.resolve();
    const running = scraper;
    const reload = (next: VigilConfig): Promise<void> => {
      const run = async (): Promise<void> => {
        try {
          await running.applyConfig(next.scrapeConfigs);
        } catch (err) {
          reloadOk.set(0);
          throw err;
        }
        if (restartOnly(next) !== restartOnly(applied)) {
          logger.warn(
            { config: next.source },
            'Storage, listen address and remote-write receiver settings changed: they take effect at the next start.',
          );
        }
        applied = next;
        reloadOk.set(1);
        reloadTime.set(Date.now() / 1000);
      };
      reloading = reloading.then(run, run);
      return reloading;
    };
    let stopping: Promise<void> | undefined;
    const started: RunningServer = {
      url,
      storage,
      scraper,
      app,
      registry,
      reload,
      reloadFailed: () => reloadOk.set(0),
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
