/**
 * One target's scrape loop: schedule, fetch, parse, append, staleness,
 * synthetic series.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { ErrorCodes, STALE_NAN, VigilError, isStaleNaN, isVigilError } from '@vigil/model';
import {
  ExpositionParser,
  StringTable,
  formatBoundValue,
  formatSampleValue,
} from '@vigil/exposition';
import type {
  ExpositionFormat,
  ExpositionSink,
  FamilyMetadata,
  LabelPairs,
} from '@vigil/exposition';
import { labelsKey } from '@vigil/storage';
import type { Appendable, Appender, SeriesLabels, SeriesRef } from '@vigil/storage';
import type { Logger } from '@vigil/sdk';
import type { ScrapeConfig } from './config.js';
import { httpScrape } from './http-scrape.js';
import type { JobClient } from './http-scrape.js';
import { LabelsBuilder } from './labels-builder.js';
import { relabelBuilder } from './relabel.js';
import type { Target } from './target.js';

/** Health of a target as the API shows it. */
export type TargetHealthState = 'up' | 'down' | 'unknown';

/** Why a scrape failed, for counting. */
export type ScrapeFailureReason =
  | 'timeout'
  | 'body_size_limit'
  | 'sample_limit'
  | 'label_limit'
  | 'http_status'
  | 'network'
  | 'decompression'
  | 'parse'
  | 'invalid_series'
  | 'storage'
  | 'other';

/** Where a loop reports what it counts (the manager's metrics). */
export interface ScrapeLoopObserver {
  scraped(job: string, ok: boolean, reason: ScrapeFailureReason | undefined, samples: number): void;
  rejected(
    job: string,
    reason: 'out_of_order' | 'duplicate' | 'out_of_bounds',
    count: number,
  ): void;
}

/** What a loop needs from its manager. */
export interface ScrapeLoopDeps {
  readonly appendable: Appendable;
  readonly client: JobClient;
  readonly observer: ScrapeLoopObserver;
  readonly logger: Logger | undefined;
  /** Phase of the target within its interval, ms. */
  readonly offsetMs: number;
}

/** The state a loop hands to its successor when its job's config changes. */
export interface ScrapeLoopHandover {
  readonly previous: readonly SeriesState[];
  readonly lastTickMs: number;
  readonly reportWritten: boolean;
  readonly health: TargetHealthState;
  readonly lastError: string;
  readonly lastScrapeDurationSeconds: number;
}

/** @internal One stored series the loop appends to. */
export interface SeriesState {
  readonly labels: SeriesLabels;
  ref: SeriesRef;
  /** The iteration that last appended it without an explicit timestamp. */
  lastSeen: number;
}

/** @internal A cache entry: what a series text of the exposition becomes. */
interface CacheEntry {
  /** null: dropped by metric relabelling. */
  readonly series: SeriesState | null;
  lastIter: number;
}

/** Counts of one scrape. */
interface RunCounts {
  total: number;
  added: number;
  seriesAdded: number;
  appended: number;
  limitExceeded: boolean;
  outOfOrder: number;
  duplicate: number;
  outOfBounds: number;
  readonly current: SeriesState[];
}

const REPORT_NAMES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
] as const;

/** Writes `le`/`quantile` values as OpenMetrics does (`1` → `1.0`), as Prometheus 3 stores them. */
export function normalizeBoundLabel(value: string): string {
  let f: number;
  const lower = value.toLowerCase();
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity')
    f = Infinity;
  else if (lower === '-inf' || lower === '-infinity') f = -Infinity;
  else if (lower === 'nan') return 'NaN';
  else {
    if (value === '' || value.trim() !== value || /^[+-]?0[xX]/.test(value)) return value;
    f = Number(value);
    if (Number.isNaN(f)) return value;
  }
  if (!Number.isFinite(f)) return formatSampleValue(f);
  if (Object.is(f, -0)) return '-0.0';
  return formatBoundValue(f, 'openmetrics');
}

function classify(err: unknown): ScrapeFailureReason {
  if (isVigilError(err)) {
    const reason = err.details?.['reason'];
    if (typeof reason === 'string') return reason as ScrapeFailureReason;
    switch (err.code) {
      case ErrorCodes.SCRAPE_TIMEOUT:
        return 'timeout';
      case ErrorCodes.SCRAPE_BODY_LIMIT:
        return 'body_size_limit';
      case ErrorCodes.SCRAPE_SAMPLE_LIMIT:
        return 'sample_limit';
      case ErrorCodes.EXPOSITION_PARSE:
      case ErrorCodes.EXPOSITION_LIMIT:
        return 'parse';
      case ErrorCodes.SERIES_LABELS_INVALID:
        return 'invalid_series';
      case ErrorCodes.STORAGE_CLOSED:
      case ErrorCodes.APPENDER_CLOSED:
        return 'storage';
      default:
        return 'other';
    }
  }
  return 'other';
}

class StoppedError extends Error {}

/**
 * Scrapes one target on its schedule and appends what it finds. Created,
 * started and stopped by the {@link ScrapeManager}; single-threaded like
 * all of Node, one scrape in flight at a time.
 */
export class ScrapeLoop {
  readonly target: Target;
  readonly config: ScrapeConfig;
  /** Fingerprint of the config the loop runs with. */
  readonly configKey: string;

  health: TargetHealthState = 'unknown';
  lastError = '';
  /** Scheduled time of the last scrape (its sample timestamp), 0 before the first. */
  lastScrapeMs = 0;
  lastScrapeDurationSeconds = 0;
  lastSamplesScraped = 0;
  lastSamplesPostRelabeling = 0;
  lastSeriesAdded = 0;
  /**
   * The metric families of the last successful scrape that had metadata
   * (`# TYPE`, `# HELP` or `# UNIT`), by family name, for `/api/v1/metadata`.
   */
  metadata: ReadonlyMap<string, FamilyMetadata> = new Map();

  private readonly deps: ScrapeLoopDeps;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly states = new Map<string, SeriesState>();
  private previous: SeriesState[] = [];
  private readonly reportLabels: SeriesLabels[];
  private readonly reportRefs = [0, 0, 0, 0, 0];
  private reportWritten = false;
  private readonly strings = new StringTable();
  private readonly lb = new LabelsBuilder();
  private iter = 0;
  private lastTickMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private stopped = false;

  constructor(target: Target, config: ScrapeConfig, configKey: string, deps: ScrapeLoopDeps) {
    this.target = target;
    this.config = config;
    this.configKey = configKey;
    this.deps = deps;
    this.reportLabels = REPORT_NAMES.map((name) => {
      const lb = new LabelsBuilder(target.labels);
      lb.set('__name__', name);
      return lb.labels();
    });
  }

  /**
   * Takes over the series and health of the loop this one replaces (same
   * target, changed job config). Call before {@link start}.
   */
  adopt(handover: ScrapeLoopHandover): void {
    this.previous = [...handover.previous];
    for (const s of this.previous) this.states.set(labelsKey(s.labels), s);
    this.lastTickMs = handover.lastTickMs;
    this.lastScrapeMs = handover.lastTickMs;
    this.reportWritten = handover.reportWritten;
    this.health = handover.health;
    this.lastError = handover.lastError;
    this.lastScrapeDurationSeconds = handover.lastScrapeDurationSeconds;
  }

  /** Starts scraping at the target's next scheduled time. */
  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = Date.now();
    const interval = this.target.scrapeIntervalMs;
    const phase = (((now - this.deps.offsetMs) % interval) + interval) % interval;
    let next = now - phase + interval;
    if (next <= this.lastTickMs) next = this.lastTickMs + interval;
    this.timer = setTimeout(() => this.tick(next), next - now);
  }

  private tick(tickMs: number): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.running = this.scrapeAt(tickMs)
      .catch((err: unknown) => {
        this.deps.logger?.error({ err, target: this.target.scrapeUrl }, 'scrape loop failed');
      })
      .finally(() => {
        this.running = undefined;
        this.schedule();
      });
  }

  /**
   * Stops the loop: no further scrapes, an in-flight one is abandoned (its
   * batch rolled back). With `stale`, writes staleness markers for every
   * series of the target, synthetic ones included, as Prometheus does when
   * a target goes away. Returns what a successor loop needs.
   */
  async stop(stale: boolean): Promise<ScrapeLoopHandover> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort(new StoppedError('stopped'));
    if (this.running !== undefined) await this.running;
    const handover: ScrapeLoopHandover = {
      previous: this.previous,
      lastTickMs: this.lastTickMs,
      reportWritten: this.reportWritten,
      health: this.health,
      lastError: this.lastError,
      lastScrapeDurationSeconds: this.lastScrapeDurationSeconds,
    };
    if (stale && (this.previous.length > 0 || this.reportWritten)) {
      const t = Math.max(Date.now(), this.lastTickMs + 1);
      const counts = newCounts();
      try {
        const app = this.deps.appendable.appender();
        for (const s of this.previous) this.appendChecked(app, s, t, STALE_NAN, counts);
        if (this.reportWritten) {
          for (let i = 0; i < REPORT_NAMES.length; i++)
            this.appendReportValue(app, i, t, STALE_NAN, counts);
        }
        await app.commit();
      } catch (err) {
        this.deps.logger?.warn(
          { err, target: this.target.scrapeUrl },
          'could not write staleness markers for a stopped target',
        );
      }
      this.previous = [];
      this.reportWritten = false;
    }
    return handover;
  }

  /** Scrapes once now, with sample timestamp `tickMs` (tests and the scheduler call it). */
  async scrapeAt(tickMs: number): Promise<void> {
    const iter = ++this.iter;
    this.lastTickMs = tickMs;
    const started = performance.now();
    const counts = newCounts();
    const controller = new AbortController();
    this.abort = controller;
    const timeoutMs = this.target.scrapeTimeoutMs;
    const timer = setTimeout(() => {
      controller.abort(
        new VigilError(
          ErrorCodes.SCRAPE_TIMEOUT,
          `scrape timed out after ${timeoutMs} ms (scrape_timeout); the target answered too slowly`,
          { details: { reason: 'timeout', timeoutMs } },
        ),
      );
    }, timeoutMs);
    let app: Appender | undefined;
    let error: unknown;
    try {
      app = this.deps.appendable.appender();
      const batch = app;
      const headers = await this.deps.client.headers(timeoutMs);
      let parser: ExpositionParser | undefined;
      const metadata = new Map<string, FamilyMetadata>();
      const sink = this.sink(batch, tickMs, iter, counts, () => parser!, metadata);
      await httpScrape(
        this.target.scrapeUrl,
        this.deps.client,
        headers,
        this.config.bodySizeLimitBytes,
        controller.signal,
        (format: ExpositionFormat) => {
          parser = new ExpositionParser(format, sink, { strings: this.strings });
        },
        (chunk) => parser!.push(chunk),
      );
      parser!.end();
      if (counts.limitExceeded) {
        throw new VigilError(
          ErrorCodes.SCRAPE_SAMPLE_LIMIT,
          `sample limit exceeded: ${counts.appended} samples after metric relabelling, sample_limit is ${this.config.sampleLimit}`,
          {
            details: {
              reason: 'sample_limit',
              limit: this.config.sampleLimit,
              samples: counts.appended,
            },
          },
        );
      }
      // Series of the previous scrape that this one did not have go stale.
      for (const s of this.previous) {
        if (s.lastSeen !== iter) this.appendChecked(batch, s, tickMs, STALE_NAN, counts);
      }
      const durationSeconds = (performance.now() - started) / 1000;
      this.appendReport(batch, tickMs, 1, durationSeconds, counts);
      clearTimeout(timer);
      await batch.commit();
      app = undefined;
      this.metadata = metadata;
      this.previous = counts.current;
      this.reportWritten = true;
      this.sweep(iter, counts.total);
      this.setHealth('up', '', tickMs, durationSeconds, counts);
      this.deps.observer.scraped(this.target.job, true, undefined, counts.appended);
    } catch (err) {
      error = err;
    } finally {
      clearTimeout(timer);
      this.abort = undefined;
    }
    this.report(counts);
    if (error === undefined) return;
    if (app !== undefined) {
      try {
        app.rollback();
      } catch {
        // already finished
      }
    }
    if (error instanceof StoppedError || this.stopped) return;
    const reason = classify(error);
    const message = error instanceof Error ? error.message : JSON.stringify(error);
    const durationSeconds = (performance.now() - started) / 1000;
    this.deps.observer.scraped(this.target.job, false, reason, 0);
    this.deps.logger?.debug(
      { target: this.target.scrapeUrl, job: this.target.job, reason, err: error },
      'scrape failed',
    );
    try {
      const failed = this.deps.appendable.appender();
      for (const s of this.previous) this.appendChecked(failed, s, tickMs, STALE_NAN, counts);
      this.appendReport(failed, tickMs, 0, durationSeconds, counts);
      await failed.commit();
      this.previous = [];
      this.reportWritten = true;
    } catch (err) {
      this.deps.logger?.warn(
        { err, target: this.target.scrapeUrl },
        'could not record a failed scrape',
      );
    }
    this.setHealth('down', message, tickMs, durationSeconds, counts);
  }

  private report(counts: RunCounts): void {
    const job = this.target.job;
    if (counts.outOfOrder > 0) this.deps.observer.rejected(job, 'out_of_order', counts.outOfOrder);
    if (counts.duplicate > 0) this.deps.observer.rejected(job, 'duplicate', counts.duplicate);
    if (counts.outOfBounds > 0)
      this.deps.observer.rejected(job, 'out_of_bounds', counts.outOfBounds);
  }

  private setHealth(
    health: TargetHealthState,
    error: string,
    tickMs: number,
    durationSeconds: number,
    counts: RunCounts,
  ): void {
    this.health = health;
    this.lastError = error;
    this.lastScrapeMs = tickMs;
    this.lastScrapeDurationSeconds = durationSeconds;
    this.lastSamplesScraped = counts.total;
    this.lastSamplesPostRelabeling = counts.added;
    this.lastSeriesAdded = counts.seriesAdded;
  }

  private appendReport(
    app: Appender,
    t: number,
    up: number,
    durationSeconds: number,
    counts: RunCounts,
  ): void {
    this.appendReportValue(app, 0, t, up, counts);
    this.appendReportValue(app, 1, t, durationSeconds, counts);
    this.appendReportValue(app, 2, t, counts.total, counts);
    this.appendReportValue(app, 3, t, counts.added, counts);
    this.appendReportValue(app, 4, t, counts.seriesAdded, counts);
  }

  private appendReportValue(
    app: Appender,
    i: number,
    t: number,
    value: number,
    counts: RunCounts,
  ): void {
    try {
      this.reportRefs[i] = app.append(this.reportRefs[i]!, this.reportLabels[i]!, t, value);
    } catch (err) {
      if (!this.countRejection(err, counts)) throw err;
    }
  }

  /** Appends, counting (and skipping) out-of-order, duplicate and out-of-bounds samples. */
  private appendChecked(
    app: Appender,
    s: SeriesState,
    t: number,
    value: number,
    counts: RunCounts,
  ): boolean {
    try {
      s.ref = app.append(s.ref, s.labels, t, value);
      return true;
    } catch (err) {
      if (this.countRejection(err, counts)) return false;
      throw err;
    }
  }

  private countRejection(err: unknown, counts: RunCounts): boolean {
    if (!isVigilError(err)) return false;
    switch (err.code) {
      case ErrorCodes.SAMPLE_OUT_OF_ORDER:
        counts.outOfOrder++;
        return true;
      case ErrorCodes.SAMPLE_DUPLICATE:
        counts.duplicate++;
        return true;
      case ErrorCodes.SAMPLE_OUT_OF_BOUNDS:
        counts.outOfBounds++;
        return true;
      default:
        return false;
    }
  }

  /** Drops cache entries not seen in this scrape once the cache has grown well past the exposition. */
  private sweep(iter: number, total: number): void {
    if (this.cache.size <= 2 * total + 1000) return;
    for (const [text, entry] of this.cache) if (entry.lastIter !== iter) this.cache.delete(text);
    this.states.clear();
    for (const entry of this.cache.values()) {
      if (entry.series !== null) this.states.set(labelsKey(entry.series.labels), entry.series);
    }
    for (const s of this.previous) this.states.set(labelsKey(s.labels), s);
  }

  private sink(
    app: Appender,
    tickMs: number,
    iter: number,
    counts: RunCounts,
    parser: () => ExpositionParser,
    metadata: Map<string, FamilyMetadata>,
  ): ExpositionSink {
    const cache = this.cache;
    const honorTimestamps = this.config.honorTimestamps;
    const sampleLimit = this.config.sampleLimit;
    return {
      // The parser fills a family's type, help and unit in as it reads them.
      family: (family) => {
        metadata.set(family.name, family);
      },
      sample: (family, name, labels, value, timestampMs) => {
        counts.total++;
        const text = parser().seriesText();
        let entry = cache.get(text);
        let isNew = false;
        if (entry === undefined) {
          entry = { series: this.resolveSeries(family, name, labels), lastIter: iter };
          cache.set(text, entry);
          isNew = true;
        } else entry.lastIter = iter;
        const series = entry.series;
        if (series === null) return;
        counts.added++;
        let t = tickMs;
        if (timestampMs !== undefined && honorTimestamps) {
          t = timestampMs;
        } else {
          if (series.lastSeen === iter) {
            counts.duplicate++; // the same series twice in one exposition
            return;
          }
          series.lastSeen = iter;
          counts.current.push(series);
        }
        if (counts.limitExceeded) return;
        if (sampleLimit > 0 && !isStaleNaN(value) && ++counts.appended > sampleLimit) {
          counts.limitExceeded = true;
          return;
        }
        if (sampleLimit === 0) counts.appended++;
        if (this.appendChecked(app, series, t, value, counts) && isNew) counts.seriesAdded++;
      },
    };
  }

  /** The stored labels of a scraped series, or null when metric relabelling drops it. */
  private resolveSeries(
    family: FamilyMetadata,
    name: string,
    labels: LabelPairs,
  ): SeriesState | null {
    const lb = this.lb.reset([]);
    lb.set('__name__', name);
    const normalize =
      family.type === 'histogram' ? 'le' : family.type === 'summary' ? 'quantile' : '';
    for (let i = 0; i < labels.length; i += 2) {
      const n = labels[i]!;
      const v = labels[i + 1]!;
      lb.set(n, n === normalize ? normalizeBoundLabel(v) : v);
    }
    const target = this.target.labels;
    if (this.config.honorLabels) {
      for (let i = 0; i < target.length; i += 2) {
        if (!lb.has(target[i]!)) lb.set(target[i]!, target[i + 1]!);
      }
    } else {
      let conflicts: [string, string][] | undefined;
      for (let i = 0; i < target.length; i += 2) {
        const existing = lb.get(target[i]!);
        if (existing !== '') (conflicts ??= []).push([target[i]!, existing]);
        lb.set(target[i]!, target[i + 1]!);
      }
      if (conflicts !== undefined) {
        conflicts.sort((a, b) => a[0].length - b[0].length);
        for (const [n, v] of conflicts) {
          let exported = n;
          for (;;) {
            exported = 'exported_' + exported;
            if (lb.get(exported) === '') {
              lb.set(exported, v);
              break;
            }
          }
        }
      }
    }
    if (
      this.config.metricRelabelConfigs.length > 0 &&
      !relabelBuilder(lb, this.config.metricRelabelConfigs)
    ) {
      return null;
    }
    const metric = lb.get('__name__');
    if (metric === '') {
      throw new VigilError(
        ErrorCodes.SCRAPE_FAILED,
        `a series of ${JSON.stringify(name)} has no metric name after metric relabelling; fix metric_relabel_configs`,
        { details: { reason: 'invalid_series' } },
      );
    }
    this.checkLimits(lb, metric);
    const sorted = lb.labels();
    const key = labelsKey(sorted);
    let state = this.states.get(key);
    if (state === undefined) {
      state = { labels: sorted, ref: 0, lastSeen: 0 };
      this.states.set(key, state);
    }
    return state;
  }

  private checkLimits(lb: LabelsBuilder, metric: string): void {
    const c = this.config;
    const fail = (what: string): never => {
      throw new VigilError(ErrorCodes.SCRAPE_FAILED, `${what}; the scrape is rejected`, {
        details: { reason: 'label_limit' },
      });
    };
    const short = metric.slice(0, 50);
    if (c.labelLimit > 0 && lb.size > c.labelLimit) {
      fail(
        `label_limit exceeded (metric: ${short}, number of labels: ${lb.size}, limit: ${c.labelLimit})`,
      );
    }
    if (c.labelNameLengthLimit === 0 && c.labelValueLengthLimit === 0) return;
    for (const n of lb.nameList()) {
      if (c.labelNameLengthLimit > 0 && n.length > c.labelNameLengthLimit) {
        fail(
          `label_name_length_limit exceeded (metric: ${short}, label name: ${n.slice(0, 50)}, length: ${n.length}, limit: ${c.labelNameLengthLimit})`,
        );
      }
      const v = lb.get(n);
      // Bytes, as Go's len(): a value only exceeds in bytes if it may in UTF-16 units * 3.
      const bytes =
        c.labelValueLengthLimit > 0 && v.length * 3 > c.labelValueLengthLimit
          ? Buffer.byteLength(v, 'utf8')
          : v.length;
      if (c.labelValueLengthLimit > 0 && bytes > c.labelValueLengthLimit) {
        fail(
          `label_value_length_limit exceeded (metric: ${short}, label name: ${n.slice(0, 50)}, value: ${JSON.stringify(v.slice(0, 50))}, length: ${bytes}, limit: ${c.labelValueLengthLimit})`,
        );
      }
    }
  }
}

function newCounts(): RunCounts {
  return {
    total: 0,
    added: 0,
    seriesAdded: 0,
    appended: 0,
    limitExceeded: false,
    outOfOrder: 0,
    duplicate: 0,
    outOfBounds: 0,
    current: [],
  };
}
