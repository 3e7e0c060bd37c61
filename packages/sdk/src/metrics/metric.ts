import {
  ErrorCodes,
  VigilError,
  assertLabelNames,
  assertMetricName,
  type LabelValue,
  type LabelValues,
  type Labels,
} from '@vigil/model';
import { escapeHelp, escapeLabelValue, type ExpositionFormat } from '@vigil/exposition';
import { diagWarnOnce } from '../diag.js';
import { usageError } from './usage-error.js';
import { currentExemplarLabels, makeExemplar, type ExemplarRecord } from './exemplar.js';
import { parseLabelValues, seriesNow, type SeriesBase } from './series.js';
import { defaultRegistry, familyName, type Registry } from './registry.js';
import type { ChunkWriter } from './chunk-writer.js';

/** Default cap on the number of label sets of one metric. */
export const DEFAULT_MAX_SERIES = 10_000;

/** Label text of the series that absorbs label sets past the cardinality limit. */
export const OVERFLOW_LABELS_TEXT = 'otel_metric_overflow="true"';

/** The metric types Vigil's SDK produces. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Options shared by every metric type. */
export interface MetricOptions<L extends string> {
  /** Metric name, Prometheus rules (`[a-zA-Z_:][a-zA-Z0-9_:]*`). */
  name: string;
  /** One line saying what the metric measures. */
  help: string;
  /** Label names, declared up front. Every update passes exactly these. */
  labelNames?: readonly L[];
  /** Where to register: a registry, the default registry when omitted, or `false` for none. */
  registry?: Registry | false;
  /**
   * Most label sets kept (default 10,000). Past it, new label sets are folded
   * into one series labelled `otel_metric_overflow="true"` and one warning is logged.
   */
  maxSeries?: number;
  /**
   * Removes a series that was not updated for this long (checked at scrape time
   * and when the cardinality limit is reached). Off by default.
   */
  expireAfterMs?: number;
  /** Unit, written as `# UNIT` in OpenMetrics; the name must end with `_<unit>`. */
  unit?: string;
  /**
   * When true, updates without an explicit exemplar take one from the installed
   * exemplar provider (the active trace), if any.
   */
  exemplars?: boolean;
}

type LookupFn = (labels: object) => SeriesBase | undefined;

const VALID_UNIT_RE = /^[a-zA-Z0-9_]+$/;

/** Converts a label value passed by callers to its string form, or undefined when invalid. */
function labelValueToString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Builds a label lookup specialised for one metric's label names: named
 * property reads (monomorphic inline caches) and one Map per label level, so
 * the hot path allocates nothing and never builds a key string.
 */
function compileLookup(labelNames: readonly string[], root: Map<string, unknown>): LookupFn {
  let body = 'let v; let n = root;\n';
  labelNames.forEach((name, i) => {
    body +=
      `v = labels[${JSON.stringify(name)}];\n` +
      `if (typeof v !== 'string') { v = toStr(v); if (v === undefined) return undefined; }\n` +
      `n = n.get(v);\n` +
      (i < labelNames.length - 1 ? 'if (n === undefined) return undefined;\n' : '');
  });
  body += 'return n;';
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(
    'root',
    'toStr',
    `return function lookup(labels) {\n${body}\n};`,
  ) as (root: Map<string, unknown>, toStr: typeof labelValueToString) => LookupFn;
  return factory(root, labelValueToString);
}

/**
 * The common machinery of counters, gauges and histograms: label validation,
 * the label-set index, the cardinality guard, removal, expiry and exemplars.
 * Concrete types add their update methods and serialisation.
 *
 * Not safe to share across worker threads (nothing in JS is); safe to use from
 * any number of async tasks in one thread.
 */
export abstract class Metric<L extends string, S extends SeriesBase> {
  /** Metric name as exposed (counters always end in `_total`). */
  readonly name: string;
  /** Help text. */
  readonly help: string;
  /** Declared label names, in order. */
  readonly labelNames: readonly L[];
  /** Unit for OpenMetrics' `# UNIT`, if any. */
  readonly unit: string | undefined;
  /** Label-set cap (see {@link MetricOptions.maxSeries}). */
  readonly maxSeries: number;
  /** Expiry of idle series in ms, or undefined. */
  readonly expireAfterMs: number | undefined;
  /** The exposition type. */
  abstract readonly type: MetricType;

  /** @internal Whether to take exemplars from the provider. */
  readonly autoExemplars: boolean;
  /** @internal Number of series in the index (overflow excluded). */
  protected indexedCount = 0;
  private readonly root = new Map<string, unknown>();
  private readonly lookup: LookupFn | undefined;
  private readonly declared: ReadonlySet<string>;
  private overflow: S | undefined;
  private single: S | undefined;
  private collectFn: ((this: unknown) => void | Promise<void>) | undefined;
  private headers!: Record<ExpositionFormat, string>;
  /** A series in no index: what `labels()` returns after a reported usage error. */
  protected voidChild!: S;

  protected constructor(options: MetricOptions<L>, exposedName = options?.name) {
    if (typeof options !== 'object' || options === null) {
      throw new VigilError(
        ErrorCodes.METRIC_OPTIONS_INVALID,
        'Metric options must be an object such as { name: "jobs_total", help: "Jobs run." }.',
      );
    }
    assertMetricName(options.name);
    assertMetricName(exposedName);
    if (typeof options.help !== 'string' || options.help.trim() === '') {
      // Empty help is legal in the formats, but promtool's lint rejects it and
      // dashboards show nothing useful; require a sentence.
      throw new VigilError(
        ErrorCodes.METRIC_HELP_INVALID,
        `Metric "${options.name}": help must be a non-empty string saying what the metric measures.`,
      );
    }
    if (options.labelNames !== undefined && !Array.isArray(options.labelNames)) {
      throw new VigilError(
        ErrorCodes.METRIC_OPTIONS_INVALID,
        `Metric "${options.name}": labelNames must be an array of strings.`,
      );
    }
    const labelNames: readonly L[] = options.labelNames ?? [];
    assertLabelNames(options.name, labelNames);
    const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    if (!Number.isInteger(maxSeries) || maxSeries < 1) {
      throw new VigilError(
        ErrorCodes.METRIC_OPTIONS_INVALID,
        `Metric "${options.name}": maxSeries must be a positive integer, got ${String(maxSeries)}.`,
      );
    }
    const expire = options.expireAfterMs;
    if (expire !== undefined && !(typeof expire === 'number' && expire > 0)) {
      throw new VigilError(
        ErrorCodes.METRIC_OPTIONS_INVALID,
        `Metric "${options.name}": expireAfterMs must be a positive number of milliseconds.`,
      );
    }
    if (options.unit !== undefined) {
      if (!VALID_UNIT_RE.test(options.unit) || !exposedName.includes(`_${options.unit}`)) {
        throw new VigilError(
          ErrorCodes.METRIC_OPTIONS_INVALID,
          `Metric "${options.name}": unit "${options.unit}" must be letters, digits and '_', and ` +
            `the name must contain "_${options.unit}" (OpenMetrics rule).`,
        );
      }
    }
    this.name = exposedName;
    this.help = options.help;
    this.labelNames = Object.freeze([...labelNames]);
    this.declared = new Set(labelNames);
    this.unit = options.unit;
    this.maxSeries = maxSeries;
    this.expireAfterMs = expire;
    this.autoExemplars = options.exemplars === true;
    this.lookup = labelNames.length > 0 ? compileLookup(labelNames, this.root) : undefined;
  }

  /**
   * Completes construction; subclasses call it last, once everything
   * `newSeries` needs is set. Builds the HELP/TYPE/UNIT headers, the
   * unlabelled series and the detached child handed out after a reported
   * usage error, then registers with the registry named in the options.
   */
  protected complete(options: MetricOptions<L> & { collect?: unknown }): void {
    this.collectFn = options.collect as typeof this.collectFn;
    const family = familyName(this.name, this.type);
    this.headers = {
      text: `# HELP ${this.name} ${escapeHelp(this.help, 'text')}\n# TYPE ${this.name} ${this.type}\n`,
      openmetrics:
        `# HELP ${family} ${escapeHelp(this.help, 'openmetrics')}\n# TYPE ${family} ${this.type}\n` +
        (this.unit ? `# UNIT ${family} ${this.unit}\n` : ''),
    };
    this.voidChild = this.newSeries('', 0);
    if (this.labelNames.length === 0) {
      this.single = this.newSeries('', seriesNow());
    }
    const registry = options.registry === undefined ? defaultRegistry : options.registry;
    if (registry !== false) registry.registerMetric(this);
  }

  /** @internal Runs the `collect` callback given in the options, if any. */
  collect(): void | Promise<void> {
    return this.collectFn?.call(this);
  }

  /** @internal Writes the HELP/TYPE/UNIT lines. */
  writeHeader(format: ExpositionFormat, out: ChunkWriter): void {
    out.write(this.headers[format]);
  }

  /** @internal Creates an empty series. */
  protected abstract newSeries(labelsText: string, now: number): S;

  /** @internal Writes one series' samples; `prefix` is the registry's default label text. */
  abstract writeSeries(series: S, format: ExpositionFormat, out: ChunkWriter, prefix: string): void;

  /**
   * The series for a label set (object or positional values), created if
   * needed. Returns undefined only after a reported usage error.
   */
  protected resolve(labels: unknown): S | undefined {
    if (this.single !== undefined) {
      if (labels === undefined || isEmptyObject(labels)) return this.single;
      this.mismatch(labels);
      return undefined;
    }
    if (typeof labels === 'object' && labels !== null) {
      const found = this.lookup!(labels) as S | undefined;
      if (found !== undefined) return found;
      return this.create(labels);
    }
    this.mismatch(labels);
    return undefined;
  }

  /**
   * A bound child for a label set, for hot paths: its update methods skip the
   * label lookup. Pass an object (`{ method: "GET" }`) or the values in
   * declared order (`"GET", "/users/:id"`). Children stay valid after
   * `remove()`/`reset()`: their next update puts the series back.
   */
  protected child(args: readonly unknown[]): S | undefined {
    if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) {
      return this.resolve(args[0]);
    }
    if (args.length !== this.labelNames.length) {
      this.mismatch(args);
      return undefined;
    }
    const obj: Record<string, unknown> = {};
    this.labelNames.forEach((name, i) => (obj[name] = args[i]));
    return this.resolve(obj);
  }

  private create(labels: object): S | undefined {
    const values: string[] = [];
    const pairs: string[] = [];
    const record = labels as Record<string, unknown>;
    for (const name of this.labelNames) {
      const value = labelValueToString(record[name]);
      if (value === undefined) {
        this.mismatch(labels);
        return undefined;
      }
      values.push(value);
      pairs.push(name + '="' + escapeLabelValue(value) + '"');
    }
    // join() yields one flat string; building it with += would keep a tree of
    // cons-strings alive per series, several hundred bytes each.
    const text = pairs.join(',');
    for (const key in record) {
      if (!this.declared.has(key)) {
        this.mismatch(labels);
        return undefined;
      }
    }
    const now = seriesNow();
    if (this.indexedCount >= this.maxSeries) {
      if (this.expireAfterMs !== undefined) this.sweep(now);
      if (this.indexedCount >= this.maxSeries) return this.overflowSeries(now);
    }
    const series = this.newSeries(text, now);
    this.insert(series, values);
    return series;
  }

  private insert(series: S, values: readonly string[]): void {
    let node = this.root;
    for (let i = 0; i < values.length - 1; i++) {
      let next = node.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(values[i]!, next);
      }
      node = next;
    }
    node.set(values[values.length - 1]!, series);
    this.indexedCount++;
    series.attached = true;
  }

  private overflowSeries(now: number): S {
    if (this.overflow === undefined) {
      this.overflow = this.newSeries(OVERFLOW_LABELS_TEXT, now);
      diagWarnOnce(
        `cardinality:${this.name}`,
        { code: ErrorCodes.METRIC_CARDINALITY_LIMIT, metric: this.name, maxSeries: this.maxSeries },
        `Metric "${this.name}" reached its limit of ${this.maxSeries} label sets; new label sets ` +
          `are counted in the series {${OVERFLOW_LABELS_TEXT}}. A label probably carries ` +
          `unbounded values (ids, raw paths); use a bounded value or raise maxSeries.`,
      );
    }
    return this.overflow;
  }

  /** @internal Puts a removed series (held as a bound child) back. */
  reattach(series: S): void {
    if (series.attached) return;
    series.attached = true;
    if (series === this.single) return;
    if (series.labelsText === OVERFLOW_LABELS_TEXT) {
      this.overflow ??= series;
      return;
    }
    const values = parseLabelValues(series.labelsText);
    // If the label set was re-created meanwhile, or the metric is full, the
    // child keeps counting but is not exposed.
    if (this.lookupValues(values) !== undefined || this.indexedCount >= this.maxSeries) return;
    this.insert(series, values);
  }

  /**
   * @internal Every live series: the unlabelled one, the indexed ones grouped
   * by their first label values, then the overflow series. Safe against
   * additions and removals while iterating (those may or may not be seen).
   */
  *allSeries(): Generator<S, void, undefined> {
    if (this.single !== undefined) yield this.single;
    if (this.labelNames.length > 0) yield* walk(this.root, this.labelNames.length) as Generator<S>;
    if (this.overflow !== undefined) yield this.overflow;
  }

  /** @internal The series of a label set, without creating it. */
  protected find(labels: object | undefined): S | undefined {
    if (this.single !== undefined) return this.single;
    if (labels === undefined) return undefined;
    const record = labels as Record<string, unknown>;
    const values = this.labelNames.map((n) => labelValueToString(record[n]));
    return values.includes(undefined) ? undefined : this.lookupValues(values as string[]);
  }

  private lookupValues(values: readonly string[]): S | undefined {
    let node: unknown = this.root;
    for (const v of values) {
      if (!(node instanceof Map)) return undefined;
      node = node.get(v);
    }
    return node as S | undefined;
  }

  /** Removes the series of one label set (object or positional values), if present. */
  remove(...labels: readonly unknown[]): void {
    const values =
      labels.length === 1 && typeof labels[0] === 'object' && labels[0] !== null
        ? this.labelNames.map((n) => labelValueToString((labels[0] as Record<string, unknown>)[n]))
        : labels.map(labelValueToString);
    if (values.length !== this.labelNames.length || values.some((v) => v === undefined)) {
      this.mismatch(labels);
      return;
    }
    const series = this.lookupValues(values as string[]);
    if (series !== undefined) this.detach(series, seriesNow());
  }

  private detach(series: S, now: number): void {
    const values = parseLabelValues(series.labelsText);
    const path: Array<Map<string, unknown>> = [this.root];
    for (let i = 0; i < values.length - 1; i++) {
      const next = path[i]!.get(values[i]!);
      if (!(next instanceof Map)) return;
      path.push(next as Map<string, unknown>);
    }
    if (path[values.length - 1]!.get(values[values.length - 1]!) !== series) return;
    for (let i = values.length - 1; i >= 0; i--) {
      path[i]!.delete(values[i]!);
      if (path[i]!.size > 0) break;
    }
    this.indexedCount--;
    series.attached = false;
    series.clear(now);
  }

  /**
   * Removes every label set (unlabelled metrics are zeroed instead), like
   * prom-client's `reset()`. Bound children come back on their next update.
   */
  reset(): void {
    const now = seriesNow();
    for (const series of this.allSeries()) {
      series.attached = false;
      series.clear(now);
    }
    this.root.clear();
    this.indexedCount = 0;
    this.overflow = undefined;
    if (this.single !== undefined) this.single.attached = true;
  }

  /** Removes series not updated for `expireAfterMs`. Called at scrape time. */
  sweep(now = seriesNow()): void {
    const ttl = this.expireAfterMs;
    if (ttl === undefined) return;
    for (const series of this.allSeries()) {
      if (series.touched) {
        series.touched = false;
        series.lastSeenAt = now;
      } else if (now - series.lastSeenAt >= ttl && series !== this.single) {
        if (series === this.overflow) {
          series.attached = false;
          series.clear(now);
          this.overflow = undefined;
        } else {
          this.detach(series, now);
        }
      }
    }
  }

  /** Number of label sets currently held (the overflow series included). */
  get seriesCount(): number {
    return this.indexedCount + (this.single ? 1 : 0) + (this.overflow ? 1 : 0);
  }

  /** @internal The exemplar for an update, or undefined; reports invalid ones. */
  exemplarFor(explicit: Labels | undefined, value: number): ExemplarRecord | undefined {
    const labels = explicit ?? (this.autoExemplars ? currentExemplarLabels() : undefined);
    if (labels === undefined) return undefined;
    const made = makeExemplar(this.name, labels, value, Date.now());
    if (made instanceof VigilError) {
      usageError(this.name, made);
      return undefined;
    }
    return made;
  }

  /** @internal Reports a label set that does not match the declared names. */
  mismatch(labels: unknown): void {
    let shown: string;
    try {
      shown = JSON.stringify(labels) ?? String(labels);
    } catch {
      shown = String(labels);
    }
    if (shown.length > 200) shown = shown.slice(0, 200) + '…';
    usageError(
      this.name,
      new VigilError(
        ErrorCodes.LABEL_SET_MISMATCH,
        `Metric "${this.name}" expects labels [${this.labelNames.join(', ')}] with string, ` +
          `number or boolean values, got ${shown}. Pass exactly the declared label names.`,
        { details: { metric: this.name, labelNames: this.labelNames } },
      ),
    );
  }
}

/** Yields the leaves of a label trie `depth` levels deep. */
function* walk(node: Map<string, unknown>, depth: number): Generator<unknown, void, undefined> {
  if (depth === 1) {
    yield* node.values();
    return;
  }
  for (const child of node.values()) yield* walk(child as Map<string, unknown>, depth - 1);
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const _ in value) return false;
  return true;
}

/** Label values accepted by a metric with label names `L`. */
export type LabelsOf<L extends string> = LabelValues<L>;
/** One label value as callers pass it. */
export type { LabelValue };
