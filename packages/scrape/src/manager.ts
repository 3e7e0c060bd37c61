/**
 * The scrape manager: turns scrape configs into running scrape loops and
 * reports target health.
 *
 * @module
 */
import { Counter, Gauge } from '@vigil/sdk';
import type { Logger, Registry } from '@vigil/sdk';
import { labelsToRecord } from '@vigil/storage';
import type { Appendable } from '@vigil/storage';
import type { ScrapeConfig } from './config.js';
import { DEFAULT_SCRAPE_USER_AGENT, JobClient } from './http-scrape.js';
import { ScrapeLoop } from './scrape-loop.js';
import type { ScrapeFailureReason, ScrapeLoopObserver, TargetHealthState } from './scrape-loop.js';
import { buildTargets, fnv1a32, scrapeOffsetMs } from './target.js';
import type { DroppedTarget } from './target.js';

/** Options of a {@link ScrapeManager}. */
export interface ScrapeManagerOptions {
  /** Where scraped samples go. */
  readonly appendable: Appendable;
  /** Registry for the manager's own `vigil_scrape_*` metrics; none when omitted. */
  readonly registry?: Registry | undefined;
  /** Logger for failed scrapes (debug) and problems of the manager (warn). */
  readonly logger?: Logger | undefined;
  /** `User-Agent` of scrape requests. Default {@link DEFAULT_SCRAPE_USER_AGENT}. */
  readonly userAgent?: string | undefined;
  /**
   * Seeds the per-target scrape offsets (Prometheus seeds with the external
   * labels and host name, so that HA pairs scrape at different moments).
   * Default: derived from `externalLabels`, else 0.
   */
  readonly offsetSeed?: number | undefined;
  /** External labels; only used to derive the offset seed. */
  readonly externalLabels?: Readonly<Record<string, string>> | undefined;
}

/** Health of one target, for the API and the dashboard. */
export interface TargetHealth {
  readonly job: string;
  readonly scrapeUrl: string;
  /** The labels of the target's series (after relabelling). */
  readonly labels: Readonly<Record<string, string>>;
  /** The labels before relabelling. */
  readonly discoveredLabels: Readonly<Record<string, string>>;
  readonly health: TargetHealthState;
  /** Error of the last scrape, `''` when it succeeded or none ran yet. */
  readonly lastError: string;
  /** Scheduled time of the last scrape (ms since the epoch), 0 before the first. */
  readonly lastScrapeMs: number;
  readonly lastScrapeDurationSeconds: number;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  readonly lastSamplesScraped: number;
  readonly lastSamplesPostMetricRelabeling: number;
  readonly lastSeriesAdded: number;
}

/** Metadata of a metric family, as `/api/v1/metadata` shows it. */
export interface MetricMetadata {
  /** `counter`, `gauge`, `histogram`, `summary`, `gaugehistogram`, `info`, `stateset` or `unknown`. */
  readonly type: string;
  readonly help: string;
  readonly unit: string;
}

/** A target relabelling dropped (or that could not be built), for the API. */
export interface DroppedTargetInfo {
  readonly job: string;
  readonly discoveredLabels: Readonly<Record<string, string>>;
  readonly reason: string;
}

interface JobState {
  readonly config: ScrapeConfig;
  readonly configKey: string;
  readonly client: JobClient;
  readonly loops: Map<string, ScrapeLoop>;
  readonly dropped: DroppedTarget[];
}

/** The manager's metrics (or no-ops). */
class ManagerMetrics implements ScrapeLoopObserver {
  private readonly scrapes: Counter<'job'> | undefined;
  private readonly failures: Counter<'job' | 'reason'> | undefined;
  private readonly samples: Counter<'job'> | undefined;
  private readonly rejectedSamples: Counter<'job' | 'reason'> | undefined;

  constructor(registry: Registry | undefined, targets: () => TargetHealth[]) {
    if (registry === undefined) return;
    this.scrapes = new Counter({
      name: 'vigil_scrape_scrapes_total',
      help: 'Scrapes attempted, by job.',
      labelNames: ['job'],
      registry,
    });
    this.failures = new Counter({
      name: 'vigil_scrape_failures_total',
      help: 'Failed scrapes by job and reason (timeout, body_size_limit, sample_limit, label_limit, http_status, network, parse, ...).',
      labelNames: ['job', 'reason'],
      registry,
    });
    this.samples = new Counter({
      name: 'vigil_scrape_samples_appended_total',
      help: 'Samples of successful scrapes handed to storage, by job.',
      labelNames: ['job'],
      registry,
    });
    this.rejectedSamples = new Counter({
      name: 'vigil_scrape_rejected_samples_total',
      help: 'Scraped samples the storage rejected and the scraper skipped, by job and reason (out_of_order, duplicate, out_of_bounds).',
      labelNames: ['job', 'reason'],
      registry,
    });
    const targetGauge = new Gauge({
      name: 'vigil_scrape_targets',
      help: 'Active scrape targets by job and health (up, down, unknown).',
      labelNames: ['job', 'health'],
      registry,
    });
    registry.addCollectHook(() => {
      targetGauge.reset();
      for (const t of targets()) targetGauge.inc({ job: t.job, health: t.health }, 1);
    });
  }

  scraped(
    job: string,
    ok: boolean,
    reason: ScrapeFailureReason | undefined,
    samples: number,
  ): void {
    this.scrapes?.inc({ job }, 1);
    if (!ok) this.failures?.inc({ job, reason: reason ?? 'other' }, 1);
    else this.samples?.inc({ job }, samples);
  }

  rejected(
    job: string,
    reason: 'out_of_order' | 'duplicate' | 'out_of_bounds',
    count: number,
  ): void {
    this.rejectedSamples?.inc({ job, reason }, count);
  }
}

/**
 * Runs one scrape loop per target of the applied configuration. Call
 * {@link applyConfig} for every (re)load and {@link stop} at shutdown; the
 * methods may be called from anywhere in the process (Node is single
 * threaded), but do not call `applyConfig` again before the previous call's
 * promise has resolved.
 */
export class ScrapeManager {
  private readonly options: ScrapeManagerOptions;
  private readonly jobs = new Map<string, JobState>();
  private readonly metrics: ManagerMetrics;
  private readonly seed: number;
  private stopped = false;

  constructor(options: ScrapeManagerOptions) {
    this.options = options;
    this.metrics = new ManagerMetrics(options.registry, () => this.targets());
    const ext = options.externalLabels ?? {};
    this.seed =
      options.offsetSeed ??
      (Object.keys(ext).length === 0
        ? 0
        : fnv1a32(
            Object.keys(ext)
              .sort()
              .map((k) => `${k}=${ext[k]}`)
              .join(','),
          ));
  }

  /**
   * Makes the running targets match `configs`: starts new targets, stops
   * removed ones (writing staleness markers for their series), keeps
   * unchanged ones running, restarts those whose job changed (carrying
   * their series over so staleness stays right). Resolves when removed
   * loops have stopped.
   *
   * @throws VigilError `CONFIG_INVALID` when a job's TLS files cannot be read
   *   (nothing is changed then).
   */
  async applyConfig(configs: readonly ScrapeConfig[]): Promise<void> {
    if (this.stopped) return;
    const userAgent = this.options.userAgent ?? DEFAULT_SCRAPE_USER_AGENT;
    const next = new Map<string, JobState>();
    const created: JobClient[] = [];
    try {
      for (const config of configs) {
        const configKey = JSON.stringify(config);
        const old = this.jobs.get(config.jobName);
        const client =
          old !== undefined && old.configKey === configKey
            ? old.client
            : new JobClient(config, userAgent);
        if (client !== old?.client) created.push(client);
        next.set(config.jobName, { config, configKey, client, loops: new Map(), dropped: [] });
      }
    } catch (err) {
      for (const c of created) c.close();
      throw err;
    }
    const stopping: Promise<unknown>[] = [];
    const oldClients = new Set<JobClient>();
    for (const [name, job] of next) {
      const old = this.jobs.get(name);
      const { targets, dropped } = buildTargets(job.config);
      job.dropped.push(...dropped);
      for (const target of targets) {
        const oldLoop = old?.loops.get(target.key);
        if (oldLoop !== undefined && oldLoop.configKey === job.configKey) {
          job.loops.set(target.key, oldLoop);
          old!.loops.delete(target.key);
          continue;
        }
        const loop = new ScrapeLoop(target, job.config, job.configKey, {
          appendable: this.options.appendable,
          client: job.client,
          observer: this.metrics,
          logger: this.options.logger,
          offsetMs: scrapeOffsetMs(target, target.scrapeIntervalMs, this.seed),
        });
        job.loops.set(target.key, loop);
        if (oldLoop === undefined) {
          loop.start();
          continue;
        }
        // The job changed: the old loop stops without staleness markers and
        // hands its series over, so that the new one marks what disappears.
        old!.loops.delete(target.key);
        stopping.push(
          oldLoop.stop(false).then((handover) => {
            if (this.stopped || job.loops.get(target.key) !== loop) return;
            loop.adopt(handover);
            loop.start();
          }),
        );
      }
    }
    for (const [name, old] of this.jobs) {
      for (const loop of old.loops.values()) stopping.push(loop.stop(true));
      const kept = next.get(name);
      if (kept === undefined || kept.client !== old.client) oldClients.add(old.client);
    }
    this.jobs.clear();
    for (const [name, job] of next) this.jobs.set(name, job);
    await Promise.all(stopping);
    for (const c of oldClients) c.close();
  }

  /** Health of every active target, by job then URL. */
  targets(): TargetHealth[] {
    const out: TargetHealth[] = [];
    for (const job of this.jobs.values()) {
      for (const loop of job.loops.values()) {
        const t = loop.target;
        out.push({
          job: t.job,
          scrapeUrl: t.scrapeUrl,
          labels: labelsToRecord(t.labels),
          discoveredLabels: labelsToRecord(t.discoveredLabels),
          health: loop.health,
          lastError: loop.lastError,
          lastScrapeMs: loop.lastScrapeMs,
          lastScrapeDurationSeconds: loop.lastScrapeDurationSeconds,
          scrapeIntervalMs: t.scrapeIntervalMs,
          scrapeTimeoutMs: t.scrapeTimeoutMs,
          lastSamplesScraped: loop.lastSamplesScraped,
          lastSamplesPostMetricRelabeling: loop.lastSamplesPostRelabeling,
          lastSeriesAdded: loop.lastSeriesAdded,
        });
      }
    }
    out.sort((a, b) =>
      a.job === b.job
        ? a.scrapeUrl < b.scrapeUrl
          ? -1
          : a.scrapeUrl > b.scrapeUrl
            ? 1
            : 0
        : a.job < b.job
          ? -1
          : 1,
    );
    return out;
  }

  /**
   * Metric metadata seen by the last successful scrape of each target, by
   * metric family name, each distinct type/help/unit once (Prometheus's
   * `/api/v1/metadata`). Families without any metadata line are left out;
   * the text format's `untyped` is reported as `unknown`, as upstream does.
   */
  metadata(): Map<string, MetricMetadata[]> {
    const out = new Map<string, MetricMetadata[]>();
    const seen = new Set<string>();
    for (const job of this.jobs.values()) {
      for (const loop of job.loops.values()) {
        for (const [name, family] of loop.metadata) {
          const type = family.type === 'untyped' ? 'unknown' : family.type;
          if (type === 'unknown' && family.help === undefined && family.unit === undefined) {
            continue;
          }
          const entry = { type, help: family.help ?? '', unit: family.unit ?? '' };
          const key = JSON.stringify([name, entry.type, entry.help, entry.unit]);
          if (seen.has(key)) continue;
          seen.add(key);
          const list = out.get(name);
          if (list === undefined) out.set(name, [entry]);
          else list.push(entry);
        }
      }
    }
    return out;
  }

  /** Targets that relabelling dropped or that could not be built. */
  droppedTargets(): DroppedTargetInfo[] {
    const out: DroppedTargetInfo[] = [];
    for (const job of this.jobs.values()) {
      for (const d of job.dropped) {
        out.push({
          job: d.job,
          discoveredLabels: labelsToRecord(d.discoveredLabels),
          reason: d.reason,
        });
      }
    }
    return out;
  }

  /**
   * Stops every loop and closes connections. Idempotent.
   *
   * Like Prometheus at shutdown, this writes no staleness markers by
   * default: a restarted server continues the series where they were. Pass
   * `writeStalenessMarkers: true` to end every series now (targets removed
   * by {@link applyConfig} always get their markers).
   */
  async stop(options: { readonly writeStalenessMarkers?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const stale = options.writeStalenessMarkers ?? false;
    const stopping: Promise<unknown>[] = [];
    for (const job of this.jobs.values()) {
      for (const loop of job.loops.values()) stopping.push(loop.stop(stale));
    }
    await Promise.all(stopping);
    for (const job of this.jobs.values()) job.client.close();
    this.jobs.clear();
  }
}
