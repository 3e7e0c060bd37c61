import { ErrorCodes, VigilError, assertLabelNames, type Labels } from '@vigil/model';
import {
  contentTypeFor,
  escapeLabelValue,
  negotiateFormat,
  type ExpositionFormat,
} from '@vigil/exposition';
import { diagError, diagWarn } from '../diag.js';
import { ChunkWriter } from './chunk-writer.js';
import type { Metric, MetricType } from './metric.js';
import type { SeriesBase } from './series.js';

/** Any metric, whatever its label names and series type. */
export type AnyMetric = Metric<string, SeriesBase>;

/** Options of a {@link Registry}. */
export interface RegistryOptions {
  /** Labels added to every series of every metric (a metric's own label of the same name wins). */
  defaultLabels?: Labels;
  /** How long a scrape waits for all `collect` callbacks, in ms (default 5000). */
  collectTimeoutMs?: number;
  /**
   * Longest stretch of serialisation work between two yields to the event
   * loop, in ms (default 5). Keeps a scrape of a large registry from
   * stalling request handling.
   */
  sliceBudgetMs?: number;
}

/** Receives exposition text chunk by chunk; may return a promise for back-pressure. */
export type ChunkSink = (chunk: string) => void | Promise<void>;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The OpenMetrics family name: counters drop their `_total` suffix. */
export function familyName(name: string, type: MetricType): string {
  return type === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name;
}

/**
 * A set of metrics exposed together. Use the {@link defaultRegistry} or
 * create your own (for tests, or to expose different metrics on different
 * endpoints). Serialisation is asynchronous and yields to the event loop
 * between slices of work; updates made meanwhile land in this scrape or the
 * next, and each series is always written whole.
 */
export class Registry {
  private readonly byName = new Map<string, AnyMetric>();
  private readonly families = new Map<string, AnyMetric>();
  private readonly collectHooks = new Set<() => void | Promise<void>>();
  private defaultLabels: Labels = {};
  private readonly collectTimeoutMs: number;
  private readonly sliceBudgetMs: number;

  constructor(options: RegistryOptions = {}) {
    this.collectTimeoutMs = options.collectTimeoutMs ?? 5000;
    this.sliceBudgetMs = options.sliceBudgetMs ?? 5;
    if (options.defaultLabels) this.setDefaultLabels(options.defaultLabels);
  }

  /**
   * Merges registries into a new one that exposes all their metrics (the
   * metrics are shared, not copied). Throws `METRIC_ALREADY_REGISTERED` on a
   * name present in two of them.
   */
  static merge(registries: readonly Registry[]): Registry {
    const merged = new Registry();
    for (const registry of registries) {
      for (const metric of registry.byName.values()) merged.registerMetric(metric);
      for (const hook of registry.collectHooks) merged.collectHooks.add(hook);
    }
    return merged;
  }

  /** Adds a metric. Metric constructors call this; call it yourself only for `registry: false` metrics. */
  registerMetric(metric: AnyMetric): void {
    const family = familyName(metric.name, metric.type);
    const clash = this.byName.get(metric.name) ?? this.families.get(family);
    if (clash !== undefined) {
      if (clash === metric) return;
      throw new VigilError(
        ErrorCodes.METRIC_ALREADY_REGISTERED,
        `A metric named "${clash.name}" (${clash.type}) is already registered, which clashes with ` +
          `"${metric.name}" (${metric.type}). Reuse it with registry.getSingleMetric("${clash.name}") ` +
          `or choose another name.`,
        { details: { name: metric.name } },
      );
    }
    this.byName.set(metric.name, metric);
    this.families.set(family, metric);
  }

  /** The metric registered under `name` (for counters, with or without `_total`), if any. */
  getSingleMetric(name: string): AnyMetric | undefined {
    return this.byName.get(name) ?? this.byName.get(`${name}_total`);
  }

  /** All registered metrics, in registration order. */
  getMetricsList(): AnyMetric[] {
    return [...this.byName.values()];
  }

  /** Unregisters one metric by name; returns whether it was there. */
  removeSingleMetric(name: string): boolean {
    const metric = this.getSingleMetric(name);
    if (metric === undefined) return false;
    this.byName.delete(metric.name);
    this.families.delete(familyName(metric.name, metric.type));
    return true;
  }

  /**
   * Adds a function that runs at the start of every scrape, with the metrics'
   * own `collect` callbacks and under the same timeout: the place to refresh
   * several metrics from one source (the health registry runs its cached
   * checks here). Returns a function that removes the hook.
   */
  addCollectHook(hook: () => void | Promise<void>): () => void {
    this.collectHooks.add(hook);
    return () => {
      this.collectHooks.delete(hook);
    };
  }

  /** Unregisters every metric. */
  clear(): void {
    this.byName.clear();
    this.families.clear();
  }

  /** Resets every metric (see `Metric.reset`). */
  resetMetrics(): void {
    for (const metric of this.byName.values()) metric.reset();
  }

  /** Sets labels added to every series at exposition time. */
  setDefaultLabels(labels: Labels): void {
    assertLabelNames('default labels', Object.keys(labels));
    for (const [name, value] of Object.entries(labels)) {
      if (typeof value !== 'string') {
        throw new VigilError(
          ErrorCodes.LABEL_VALUE_INVALID,
          `Default label "${name}" must have a string value.`,
        );
      }
    }
    this.defaultLabels = { ...labels };
  }

  /** The content type of `format`. */
  contentType(format: ExpositionFormat = 'text'): string {
    return contentTypeFor(format);
  }

  private async runCollects(metrics: readonly AnyMetric[]): Promise<void> {
    const pending: Array<Promise<void>> = [];
    const collectors: Array<{ name: string; collect: () => void | Promise<void> }> = [
      ...[...this.collectHooks].map((hook) => ({ name: 'collect hook', collect: hook })),
      ...metrics.map((metric) => ({ name: metric.name, collect: () => metric.collect() })),
    ];
    for (const metric of collectors) {
      try {
        const result = metric.collect();
        if (result !== undefined) {
          pending.push(
            Promise.resolve(result).catch((err: unknown) => {
              diagError(
                { code: ErrorCodes.COLLECT_FAILED, metric: metric.name, err },
                `collect() of "${metric.name}" failed; its previous values are exposed.`,
              );
            }),
          );
        }
      } catch (err) {
        diagError(
          { code: ErrorCodes.COLLECT_FAILED, metric: metric.name, err },
          `collect() of "${metric.name}" threw; its previous values are exposed.`,
        );
      }
    }
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.collectTimeoutMs);
    });
    const outcome = await Promise.race([Promise.all(pending), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      diagWarn(
        { code: ErrorCodes.COLLECT_TIMEOUT, timeoutMs: this.collectTimeoutMs },
        `Some collect() callbacks did not finish within ${this.collectTimeoutMs} ms; the scrape ` +
          `goes on with their previous values.`,
      );
    }
  }

  private prefixFor(metric: AnyMetric): string {
    let text = '';
    for (const name in this.defaultLabels) {
      if (metric.labelNames.includes(name)) continue;
      text +=
        (text === '' ? '' : ',') + name + '="' + escapeLabelValue(this.defaultLabels[name]!) + '"';
    }
    return text;
  }

  /**
   * Runs the collect callbacks, then serialises every metric in `format`,
   * handing text to `sink` in chunks of about 64 KiB and yielding to the event
   * loop whenever a slice of work exceeds `sliceBudgetMs`.
   */
  async writeExposition(format: ExpositionFormat, sink: ChunkSink): Promise<void> {
    const metrics = [...this.byName.values()];
    await this.runCollects(metrics);
    const out = new ChunkWriter();
    const budget = this.sliceBudgetMs;
    let deadline = performance.now() + budget;
    let sinceCheck = 0;
    for (const metric of metrics) {
      if (metric.expireAfterMs !== undefined) metric.sweep();
      const prefix = this.prefixFor(metric);
      metric.writeHeader(format, out);
      for (const series of metric.allSeries()) {
        metric.writeSeries(series, format, out, prefix);
        if (++sinceCheck >= 32) {
          sinceCheck = 0;
          if (performance.now() >= deadline) {
            for (const chunk of out.takeReady()) await sink(chunk);
            await yieldToEventLoop();
            deadline = performance.now() + budget;
          }
        }
      }
    }
    if (format === 'openmetrics') out.write('# EOF\n');
    for (const chunk of out.takeAll()) await sink(chunk);
  }

  /** The whole exposition as one string (text format unless `format` says otherwise). */
  async metrics(options: { format?: ExpositionFormat } = {}): Promise<string> {
    const chunks: string[] = [];
    await this.writeExposition(options.format ?? 'text', (chunk) => {
      chunks.push(chunk);
    });
    return chunks.join('');
  }

  /** Picks the format for an HTTP `Accept` header. */
  negotiate(accept: string | undefined): ExpositionFormat {
    return negotiateFormat(accept);
  }
}

/** The registry metrics join when no other is named. */
export const defaultRegistry = new Registry();
