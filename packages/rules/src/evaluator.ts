/**
 * The rule evaluator: runs Prometheus rule groups against a {@link QueryApi}
 * and writes recording-rule output, `ALERTS` and `ALERTS_FOR_STATE` to an
 * {@link Appendable}, with Prometheus's alert state machine, staleness
 * markers and `for`-state restoration after a restart.
 *
 * @module
 */
import { ErrorCodes, STALE_NAN, VigilError } from '@vigil/model';
import type { QueryApi, QueryValue } from '@vigil/promql';
import { labelsFromRecord, labelsKey, labelsToRecord, METRIC_NAME_LABEL } from '@vigil/storage';
import type { Appendable, SeriesLabels } from '@vigil/storage';
import { Counter, Gauge } from '@vigil/sdk';
import type { Registry } from '@vigil/sdk';
import type { AlertingRuleSpec, RecordingRuleSpec, RuleGroupSpec, RuleSpec } from './rule-file.js';
import { formatFloatE } from './template.js';
import type { TemplateData } from './template.js';

/** The minimal logger the manager needs (pino's `Logger` from `@vigil/sdk` fits). */
export interface RulesLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link RuleManager}. */
export interface RuleManagerOptions {
  /** Where rule expressions are evaluated. */
  readonly queryApi: QueryApi;
  /** Where recording-rule output, `ALERTS` and `ALERTS_FOR_STATE` are written. */
  readonly appendable: Appendable;
  /** Logs alert state changes (info) and failed evaluations (warn). */
  readonly logger?: RulesLogger | undefined;
  /** Labels available to templates as `$externalLabels`. */
  readonly externalLabels?: Readonly<Record<string, string>> | undefined;
  /** Available to templates as `$externalURL`. Default ''. */
  readonly externalUrl?: string | undefined;
  /** The interval of a group that sets none, ms. Default 1 minute (Prometheus's global default). */
  readonly defaultIntervalMs?: number | undefined;
  /** How long after the last `ALERTS_FOR_STATE` sample `for` state is still restored, ms. Default 1 h. */
  readonly outageToleranceMs?: number | undefined;
  /**
   * The least time a restored pending alert still waits before it fires,
   * ms; rules with a shorter `for` are not restored. Default 10 min.
   */
  readonly forGracePeriodMs?: number | undefined;
  /** How long a resolved alert is kept, ms. Default 15 min (as Prometheus). */
  readonly resolvedRetentionMs?: number | undefined;
  /** The clock, ms since the epoch; for tests. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Registry for the manager's own `vigil_rule_*` metrics; none when omitted. */
  readonly registry?: Registry | undefined;
}

/** The state of one alert. */
export type AlertState = 'inactive' | 'pending' | 'firing';

/** One alert of an alerting rule, as `alerts()` and `rules()` report it. Times are ms since the epoch. */
export interface AlertInfo {
  /** The alert's labels, including `alertname`. */
  readonly labels: Readonly<Record<string, string>>;
  /** The rendered annotations. */
  readonly annotations: Readonly<Record<string, string>>;
  /** `inactive` once resolved. */
  readonly state: AlertState;
  /** The last sample value. */
  readonly value: number;
  /** When the alert became pending (possibly restored after a restart). */
  readonly activeAtMs: number;
  /** When it started firing, undefined if it never has. */
  readonly firedAtMs: number | undefined;
  /** When it resolved, undefined while active. */
  readonly resolvedAtMs: number | undefined;
  /** Since when it is kept firing by `keep_firing_for` although its condition is gone. */
  readonly keepFiringSinceMs: number | undefined;
}

/** Health of a rule: `unknown` before its first evaluation. */
export type RuleHealth = 'ok' | 'err' | 'unknown';

/** An alert in the shape of Prometheus's `/api/v1/alerts` and `/api/v1/rules`. */
export interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertState;
  activeAt: string;
  keepFiringSince?: string;
  value: string;
}

/** A rule in the shape of Prometheus's `/api/v1/rules`. */
export type ApiRule =
  | {
      type: 'alerting';
      state: AlertState;
      name: string;
      query: string;
      duration: number;
      keepFiringFor: number;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      alerts: ApiAlert[];
      health: RuleHealth;
      lastError?: string;
      evaluationTime: number;
      lastEvaluation: string;
    }
  | {
      type: 'recording';
      name: string;
      query: string;
      labels: Record<string, string>;
      health: RuleHealth;
      lastError?: string;
      evaluationTime: number;
      lastEvaluation: string;
    };

/** A group in the shape of Prometheus's `/api/v1/rules`. */
export interface ApiRuleGroup {
  name: string;
  file: string;
  rules: ApiRule[];
  /** Seconds. */
  interval: number;
  limit: number;
  /** Seconds. */
  evaluationTime: number;
  lastEvaluation: string;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const ALERTS_METRIC = 'ALERTS';
const ALERTS_FOR_STATE_METRIC = 'ALERTS_FOR_STATE';

interface MutableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertState;
  value: number;
  activeAtMs: number;
  firedAtMs: number | undefined;
  resolvedAtMs: number | undefined;
  keepFiringSinceMs: number | undefined;
}

/** Run-time state of one rule. */
class RuleState {
  health: RuleHealth = 'unknown';
  lastError: string | undefined;
  lastEvaluationMs: number | undefined;
  evaluationSeconds = 0;
  /** Alerting rules: alerts by label key. */
  readonly active = new Map<string, MutableAlert>();
  /** Alerting rules: whether `ALERTS_FOR_STATE` may be written (after restore). */
  restored = false;
  /** Series written in the last successful evaluation, by label key, to mark stale when they vanish. */
  seriesReturned = new Map<string, SeriesLabels>();

  constructor(
    readonly spec: RuleSpec,
    readonly groupLabels: Readonly<Record<string, string>>,
  ) {}
}

class GroupState {
  readonly rules: RuleState[];
  lastEvaluationMs: number | undefined;
  evaluationSeconds = 0;
  /** Restore `for` state after the first evaluation. */
  shouldRestore = true;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;

  constructor(
    readonly spec: RuleGroupSpec,
    readonly intervalMs: number,
  ) {
    this.rules = spec.rules.map((r) => new RuleState(r, spec.labels));
  }
}

/** The manager's own metrics, labelled by `rule_group` (`<file>;<group>`, as Prometheus). */
class RuleMetrics {
  readonly evaluations: Counter<'rule_group'>;
  readonly failures: Counter<'rule_group'>;
  readonly missed: Counter<'rule_group'>;
  readonly durationSeconds: Gauge<'rule_group'>;
  readonly intervalSeconds: Gauge<'rule_group'>;
  readonly lastEvaluationSeconds: Gauge<'rule_group'>;
  readonly rules: Gauge<'rule_group'>;

  constructor(registry: Registry) {
    const labelNames = ['rule_group'] as const;
    this.evaluations = new Counter({
      name: 'vigil_rule_evaluations_total',
      help: 'Rule evaluations, per group (one per rule per group evaluation).',
      labelNames,
      registry,
    });
    this.failures = new Counter({
      name: 'vigil_rule_evaluation_failures_total',
      help: 'Rule evaluations that failed (the rule is marked err), per group.',
      labelNames,
      registry,
    });
    this.missed = new Counter({
      name: 'vigil_rule_group_iterations_missed_total',
      help: 'Group evaluations skipped because the previous one was still running.',
      labelNames,
      registry,
    });
    this.durationSeconds = new Gauge({
      name: 'vigil_rule_group_last_duration_seconds',
      help: 'How long the last evaluation of the group took, seconds.',
      labelNames,
      registry,
    });
    this.intervalSeconds = new Gauge({
      name: 'vigil_rule_group_interval_seconds',
      help: 'The evaluation interval of the group, seconds.',
      labelNames,
      registry,
    });
    this.lastEvaluationSeconds = new Gauge({
      name: 'vigil_rule_group_last_evaluation_timestamp_seconds',
      help: 'When the group was last evaluated, seconds since the epoch.',
      labelNames,
      registry,
    });
    this.rules = new Gauge({
      name: 'vigil_rule_group_rules',
      help: 'Rules in the group.',
      labelNames,
      registry,
    });
  }

  /** Forgets a group that is no longer loaded, so its series end. */
  remove(group: string): void {
    for (const m of [
      this.evaluations,
      this.failures,
      this.missed,
      this.durationSeconds,
      this.intervalSeconds,
      this.lastEvaluationSeconds,
      this.rules,
    ])
      m.remove({ rule_group: group });
  }
}

/** A group's identity: its file and its name (names need be unique only within a file). */
function groupKey(spec: RuleGroupSpec): string {
  return `${spec.file};${spec.name}`;
}

/**
 * Evaluates rule groups, each on its interval, rules in order, as Prometheus
 * does. Load groups with {@link RuleManager.load}, then {@link RuleManager.start}
 * (or drive evaluations yourself with {@link RuleManager.evaluateGroup}).
 * Methods are called from one async context; evaluations of one group never
 * overlap (a slow evaluation makes the next tick skip).
 */
export class RuleManager {
  readonly #options: RuleManagerOptions;
  readonly #now: () => number;
  /** Groups by {@link groupKey}. */
  #groups = new Map<string, GroupState>();
  #started = false;
  readonly #metrics: RuleMetrics | undefined;
  /** Staleness markers being written for groups removed by {@link RuleManager.load}. */
  #unloading: Promise<void> = Promise.resolve();

  constructor(options: RuleManagerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#metrics = options.registry === undefined ? undefined : new RuleMetrics(options.registry);
  }

  /**
   * Replaces the loaded groups. A group is identified by its file and name, as
   * in Prometheus: the same name may appear in two files. A group whose rules
   * are unchanged keeps its alert state. The series of a group that is no
   * longer loaded get staleness markers, so queries stop seeing them at once.
   * Call while stopped, or the new groups start at once.
   *
   * @throws VigilError `RULES_INVALID` when one file has two groups of the same name.
   */
  load(groups: readonly RuleGroupSpec[]): void {
    const next = new Map<string, GroupState>();
    for (const spec of groups) {
      const key = groupKey(spec);
      if (next.has(key)) {
        throw new VigilError(
          ErrorCodes.RULES_INVALID,
          `Rule group ${JSON.stringify(spec.name)} appears twice in ${spec.file}; group names must be unique within a file.`,
          {
            details: { group: spec.name, file: spec.file },
          },
        );
      }
      const intervalMs = spec.intervalMs ?? this.#options.defaultIntervalMs ?? 60_000;
      const old = this.#groups.get(key);
      const state = new GroupState(spec, intervalMs);
      if (old !== undefined && sameRules(old.spec, spec)) {
        state.rules.splice(0, state.rules.length, ...old.rules);
        state.lastEvaluationMs = old.lastEvaluationMs;
        state.shouldRestore = old.shouldRestore;
      }
      next.set(key, state);
    }
    const wasStarted = this.#started;
    const removed: GroupState[] = [];
    for (const [key, g] of this.#groups) {
      clearTimeout(g.timer);
      if (!next.has(key)) removed.push(g);
    }
    this.#groups = next;
    for (const g of removed) this.#metrics?.remove(groupKey(g.spec));
    for (const g of next.values()) {
      this.#metrics?.intervalSeconds.set({ rule_group: groupKey(g.spec) }, g.intervalMs / 1000);
      this.#metrics?.rules.set({ rule_group: groupKey(g.spec) }, g.rules.length);
    }
    if (removed.length > 0) {
      const mark = (): Promise<void> => this.#markStale(removed);
      this.#unloading = this.#unloading.then(mark, mark);
    }
    if (wasStarted) for (const g of next.values()) this.#schedule(g);
  }

  /** Writes staleness markers for every series the removed groups wrote last. */
  async #markStale(removed: readonly GroupState[]): Promise<void> {
    // Let an evaluation that is still running finish first: it may write more.
    await Promise.all(removed.map((g) => g.running ?? Promise.resolve()));
    const timeMs = this.#now();
    const appender = this.#options.appendable.appender();
    const marked = new Set<string>();
    for (const g of removed)
      for (const rule of g.rules)
        for (const [key, labels] of rule.seriesReturned) {
          if (marked.has(key)) continue;
          marked.add(key);
          try {
            appender.append(0, labels, timeMs, STALE_NAN);
          } catch {
            // A newer sample exists: nothing to mark.
          }
        }
    try {
      await appender.commit();
    } catch (err) {
      this.#options.logger?.error(
        { err: err instanceof Error ? err.message : String(err) },
        'writing staleness markers for removed rule groups failed',
      );
    }
  }

  /** Starts evaluating every group on its interval. Idempotent. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const g of this.#groups.values()) this.#schedule(g);
  }

  /** Stops the timers and waits for running evaluations (and pending staleness markers) to finish. */
  async stop(): Promise<void> {
    this.#started = false;
    const running: Promise<void>[] = [];
    for (const g of this.#groups.values()) {
      clearTimeout(g.timer);
      g.timer = undefined;
      if (g.running !== undefined) running.push(g.running);
    }
    await Promise.all(running);
    await this.#unloading;
  }

  #schedule(g: GroupState): void {
    // Align evaluations to the interval, offset by a hash of the name so
    // groups spread out, as Prometheus does.
    const now = this.#now();
    const offset = hashString(g.spec.name) % g.intervalMs;
    let next = Math.floor((now - offset) / g.intervalMs) * g.intervalMs + offset;
    if (next <= now) next += g.intervalMs;
    g.timer = setTimeout(() => {
      if (!this.#started || this.#groups.get(groupKey(g.spec)) !== g) return;
      if (g.running === undefined) {
        g.running = this.#evaluate(g, next).finally(() => {
          g.running = undefined;
        });
      } else {
        this.#metrics?.missed.inc({ rule_group: groupKey(g.spec) });
        this.#options.logger?.warn(
          { group: g.spec.name },
          'rule group evaluation skipped: the previous one is still running',
        );
      }
      this.#schedule(g);
    }, next - now);
    g.timer.unref?.();
  }

  /**
   * Evaluates group `name` once at `timeMs` (ms since the epoch): every rule
   * in order, output written in one batch, staleness markers for series
   * that disappeared, and, on the first evaluation, `for` state restored
   * from `ALERTS_FOR_STATE`. Deterministic; never throws for a failing rule
   * (it is marked `err` instead).
   *
   * @param file - the group's file; needed only when two files have a group of that name.
   * @throws VigilError `RULES_INVALID` when no group (or more than one) has that name.
   */
  async evaluateGroup(name: string, timeMs: number, file?: string): Promise<void> {
    const matches = [...this.#groups.values()].filter(
      (g) => g.spec.name === name && (file === undefined || g.spec.file === file),
    );
    if (matches.length !== 1) {
      throw new VigilError(
        ErrorCodes.RULES_INVALID,
        matches.length === 0
          ? `No rule group named ${JSON.stringify(name)} is loaded${file === undefined ? '' : ` from ${file}`}.`
          : `Rule group name ${JSON.stringify(name)} is loaded from ${matches.length} files; pass the file.`,
        { details: { group: name, ...(file === undefined ? {} : { file }) } },
      );
    }
    await this.#evaluate(matches[0]!, timeMs);
  }

  async #evaluate(g: GroupState, timeMs: number): Promise<void> {
    const start = performance.now();
    const queryOffsetMs = g.spec.queryOffsetMs ?? 0;
    const evalTimeMs = timeMs - queryOffsetMs;
    const appender = this.#options.appendable.appender();
    const written = new Set<string>();
    const vanished: [string, SeriesLabels][] = [];
    for (const rule of g.rules) {
      const ruleStart = performance.now();
      let output: { labels: SeriesLabels; value: number }[] | undefined;
      try {
        output =
          rule.spec.type === 'recording'
            ? await this.#evalRecording(rule, rule.spec, g.spec.limit, evalTimeMs)
            : await this.#evalAlerting(rule, rule.spec, g, evalTimeMs);
        rule.health = 'ok';
        rule.lastError = undefined;
      } catch (err) {
        this.#metrics?.failures.inc({ rule_group: groupKey(g.spec) });
        // As Prometheus: the rule's series of the last evaluation are kept
        // (not marked stale) while it fails.
        output = undefined;
        rule.health = 'err';
        rule.lastError = err instanceof Error ? err.message : String(err);
        this.#options.logger?.warn(
          { group: g.spec.name, rule: ruleName(rule.spec), err: rule.lastError },
          'rule evaluation failed',
        );
      }
      rule.lastEvaluationMs = timeMs;
      if (output !== undefined) {
        const returned = new Map<string, SeriesLabels>();
        for (const s of output) {
          const key = labelsKey(s.labels);
          returned.set(key, s.labels);
          if (written.has(key)) continue;
          written.add(key);
          try {
            appender.append(0, s.labels, evalTimeMs, s.value);
          } catch (err) {
            this.#options.logger?.warn(
              {
                group: g.spec.name,
                rule: ruleName(rule.spec),
                err: err instanceof Error ? err.message : String(err),
              },
              'rule output sample rejected',
            );
          }
        }
        for (const entry of rule.seriesReturned) if (!returned.has(entry[0])) vanished.push(entry);
        rule.seriesReturned = returned;
      }
      rule.evaluationSeconds = (performance.now() - ruleStart) / 1000;
    }
    for (const [key, labels] of vanished) {
      // Another rule may have written the series in this evaluation.
      if (written.has(key)) continue;
      written.add(key);
      try {
        appender.append(0, labels, evalTimeMs, STALE_NAN);
      } catch {
        // A newer sample exists already: nothing to mark.
      }
    }
    try {
      await appender.commit();
    } catch (err) {
      this.#options.logger?.error(
        { group: g.spec.name, err: err instanceof Error ? err.message : String(err) },
        'writing rule output failed',
      );
    }
    g.lastEvaluationMs = timeMs;
    g.evaluationSeconds = (performance.now() - start) / 1000;
    if (this.#metrics !== undefined) {
      const labels = { rule_group: groupKey(g.spec) };
      this.#metrics.evaluations.inc(labels, g.rules.length);
      this.#metrics.durationSeconds.set(labels, g.evaluationSeconds);
      this.#metrics.lastEvaluationSeconds.set(labels, timeMs / 1000);
    }
    if (g.shouldRestore) {
      g.shouldRestore = false;
      await this.#restoreForState(g, timeMs);
    }
  }

  async #query(expr: string, timeMs: number): Promise<{ labels: SeriesLabels; value: number }[]> {
    const result = await this.#options.queryApi.instantQuery(expr, timeMs);
    return vectorOf(result.value);
  }

  async #evalRecording(
    rule: RuleState,
    spec: RecordingRuleSpec,
    limit: number,
    timeMs: number,
  ): Promise<{ labels: SeriesLabels; value: number }[]> {
    const samples = await this.#query(spec.expr, timeMs);
    const out: { labels: SeriesLabels; value: number }[] = [];
    const seen = new Set<string>();
    for (const s of samples) {
      const record = labelsToRecord(s.labels);
      record[METRIC_NAME_LABEL] = spec.record;
      applyLabels(record, rule.groupLabels);
      applyLabels(record, spec.labels);
      const labels = labelsFromRecord(record);
      const key = labelsKey(labels);
      if (seen.has(key))
        throw new Error(
          'vector contains metrics with the same labelset after applying rule labels',
        );
      seen.add(key);
      out.push({ labels, value: s.value });
    }
    if (limit > 0 && out.length > limit)
      throw new Error(`exceeded limit of ${limit} with ${out.length} series`);
    return out;
  }

  async #evalAlerting(
    rule: RuleState,
    spec: AlertingRuleSpec,
    g: GroupState,
    timeMs: number,
  ): Promise<{ labels: SeriesLabels; value: number }[]> {
    const samples = await this.#query(spec.expr, timeMs);
    const externalLabels = this.#options.externalLabels ?? {};
    const externalUrl = this.#options.externalUrl ?? '';
    const current = new Map<string, MutableAlert>();
    for (const s of samples) {
      const seriesLabels = labelsToRecord(s.labels);
      const data: TemplateData = {
        labels: seriesLabels,
        value: s.value,
        externalLabels,
        externalUrl,
      };
      const labels: Record<string, string> = { ...seriesLabels };
      delete labels[METRIC_NAME_LABEL];
      applyLabels(labels, rule.groupLabels);
      for (const [name, tmpl] of spec.labelTemplates) {
        const v = tmpl.render(data);
        if (v === '') delete labels[name];
        else labels[name] = v;
      }
      labels.alertname = spec.alert;
      const annotations: Record<string, string> = {};
      for (const [name, tmpl] of spec.annotationTemplates) annotations[name] = tmpl.render(data);
      const key = labelsKey(labelsFromRecord(labels));
      if (current.has(key))
        throw new Error(
          'vector contains metrics with the same labelset after applying alert labels',
        );
      current.set(key, {
        labels,
        annotations,
        state: 'pending',
        value: s.value,
        activeAtMs: timeMs,
        firedAtMs: undefined,
        resolvedAtMs: undefined,
        keepFiringSinceMs: undefined,
      });
    }
    const logger = this.#options.logger;
    for (const [key, fresh] of current) {
      const existing = rule.active.get(key);
      if (existing !== undefined && existing.state !== 'inactive') {
        existing.value = fresh.value;
        existing.annotations = fresh.annotations;
        existing.labels = fresh.labels;
        continue;
      }
      rule.active.set(key, fresh);
    }
    const retentionMs = this.#options.resolvedRetentionMs ?? 15 * 60_000;
    let activeCount = 0;
    for (const [key, a] of rule.active) {
      if (!current.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && spec.keepFiringForMs > 0) {
          a.keepFiringSinceMs ??= timeMs;
          if (timeMs - a.keepFiringSinceMs < spec.keepFiringForMs) keepFiring = true;
        }
        if (
          a.state === 'pending' ||
          (a.resolvedAtMs !== undefined && timeMs - a.resolvedAtMs > retentionMs)
        ) {
          rule.active.delete(key);
        }
        if (a.state !== 'inactive' && !keepFiring) {
          if (a.state === 'firing') logger?.info({ alert: a.labels }, 'alert resolved');
          a.state = 'inactive';
          a.resolvedAtMs = timeMs;
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSinceMs = undefined;
      }
      activeCount++;
      if (a.state === 'pending' && timeMs - a.activeAtMs >= spec.forMs) {
        a.state = 'firing';
        a.firedAtMs = timeMs;
        logger?.info({ alert: a.labels, value: a.value }, 'alert firing');
      }
    }
    const limit = g.spec.limit;
    if (limit > 0 && activeCount > limit) {
      rule.active.clear();
      throw new Error(`exceeded limit of ${limit} with ${activeCount} alerts`);
    }
    const out: { labels: SeriesLabels; value: number }[] = [];
    for (const a of rule.active.values()) {
      if (a.state === 'inactive') continue;
      out.push({
        labels: labelsFromRecord({
          ...a.labels,
          [METRIC_NAME_LABEL]: ALERTS_METRIC,
          alertstate: a.state,
        }),
        value: 1,
      });
      if (rule.restored) {
        out.push({
          labels: labelsFromRecord({ ...a.labels, [METRIC_NAME_LABEL]: ALERTS_FOR_STATE_METRIC }),
          value: Math.floor(a.activeAtMs / 1000),
        });
      }
    }
    return out;
  }

  /**
   * Prometheus's `for`-state restoration: for each active alert of a rule
   * with a `for` of at least the grace period, read the last
   * `ALERTS_FOR_STATE` sample within the outage tolerance and move
   * `activeAt` so that the time spent pending before the outage counts.
   */
  async #restoreForState(g: GroupState, timeMs: number): Promise<void> {
    const toleranceMs = this.#options.outageToleranceMs ?? 3_600_000;
    const graceMs = this.#options.forGracePeriodMs ?? 600_000;
    for (const rule of g.rules) {
      if (rule.spec.type !== 'alerting') continue;
      const spec = rule.spec;
      if (spec.forMs < graceMs || rule.active.size === 0) {
        rule.restored = true;
        continue;
      }
      const selector = `${ALERTS_FOR_STATE_METRIC}{alertname=${JSON.stringify(spec.alert)}}[${Math.max(1, Math.round(toleranceMs / 1000))}s]`;
      let value: QueryValue;
      try {
        value = (await this.#options.queryApi.instantQuery(selector, timeMs)).value;
      } catch (err) {
        this.#options.logger?.warn(
          {
            group: g.spec.name,
            rule: spec.alert,
            err: err instanceof Error ? err.message : String(err),
          },
          'restoring alert for-state failed',
        );
        rule.restored = true;
        continue;
      }
      const lastByKey = new Map<string, { tMs: number; v: number }>();
      if (value.type === 'matrix') {
        for (const series of value.series) {
          const n = series.values.length;
          if (n === 0) continue;
          const record = labelsToRecord(series.labels);
          delete record[METRIC_NAME_LABEL];
          lastByKey.set(labelsKey(labelsFromRecord(record)), {
            tMs: series.timestampsMs[n - 1]!,
            v: series.values[n - 1]!,
          });
        }
      }
      for (const [key, a] of rule.active) {
        const last = lastByKey.get(key);
        if (last === undefined || a.state === 'inactive') continue;
        const downAtMs = Math.floor(last.tMs / 1000) * 1000;
        let restoredActiveAtMs = last.v * 1000;
        const remainingMs = spec.forMs - (downAtMs - restoredActiveAtMs);
        if (remainingMs <= 0) {
          // It would have fired already: keep the old activeAt so it fires at the next evaluation.
        } else if (remainingMs < graceMs) {
          restoredActiveAtMs = timeMs + graceMs - spec.forMs;
        } else {
          restoredActiveAtMs += timeMs - downAtMs;
        }
        a.activeAtMs = restoredActiveAtMs;
        this.#options.logger?.info(
          { alert: a.labels, activeAtMs: restoredActiveAtMs },
          'alert for-state restored',
        );
      }
      rule.restored = true;
    }
  }

  /** Every alert of every alerting rule, including resolved ones still retained. */
  alertStates(): AlertInfo[] {
    const out: AlertInfo[] = [];
    for (const g of this.#groups.values()) {
      for (const r of g.rules)
        for (const a of r.active.values())
          out.push({ ...a, labels: { ...a.labels }, annotations: { ...a.annotations } });
    }
    return out;
  }

  /** The body of Prometheus's `/api/v1/alerts` `data`: the pending and firing alerts. */
  alerts(): { alerts: ApiAlert[] } {
    const alerts: ApiAlert[] = [];
    for (const g of this.#groups.values()) for (const r of g.rules) alerts.push(...apiAlerts(r));
    return { alerts };
  }

  /** The body of Prometheus's `/api/v1/rules` `data`. */
  rules(): { groups: ApiRuleGroup[] } {
    const groups: ApiRuleGroup[] = [];
    for (const g of this.#groups.values()) {
      groups.push({
        name: g.spec.name,
        file: g.spec.file,
        rules: g.rules.map(apiRule),
        interval: g.intervalMs / 1000,
        limit: g.spec.limit,
        evaluationTime: g.evaluationSeconds,
        lastEvaluation: rfc3339(g.lastEvaluationMs),
      });
    }
    return { groups };
  }
}

function apiAlerts(r: RuleState): ApiAlert[] {
  const out: ApiAlert[] = [];
  for (const a of r.active.values()) {
    if (a.resolvedAtMs !== undefined) continue;
    out.push({
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      state: a.state,
      activeAt: rfc3339(a.activeAtMs),
      ...(a.keepFiringSinceMs === undefined
        ? {}
        : { keepFiringSince: rfc3339(a.keepFiringSinceMs) }),
      value: formatFloatE(a.value),
    });
  }
  return out;
}

function apiRule(r: RuleState): ApiRule {
  const common = {
    health: r.health,
    ...(r.lastError === undefined ? {} : { lastError: r.lastError }),
    evaluationTime: r.evaluationSeconds,
    lastEvaluation: rfc3339(r.lastEvaluationMs),
  };
  const spec = r.spec;
  if (spec.type === 'recording') {
    return {
      type: 'recording',
      name: spec.record,
      query: spec.expr,
      labels: { ...r.groupLabels, ...spec.labels },
      ...common,
    };
  }
  const alerts = apiAlerts(r);
  let state: AlertState = 'inactive';
  for (const a of alerts) {
    if (a.state === 'firing') state = 'firing';
    else if (a.state === 'pending' && state === 'inactive') state = 'pending';
  }
  return {
    type: 'alerting',
    state,
    name: spec.alert,
    query: spec.expr,
    duration: spec.forMs / 1000,
    keepFiringFor: spec.keepFiringForMs / 1000,
    labels: { ...r.groupLabels, ...spec.labels },
    annotations: { ...spec.annotations },
    alerts,
    ...common,
  };
}

function ruleName(spec: RuleSpec): string {
  return spec.type === 'recording' ? spec.record : spec.alert;
}

/** Sets `labels` into `record`; an empty value removes the label. */
function applyLabels(
  record: Record<string, string>,
  labels: Readonly<Record<string, string>>,
): void {
  for (const [k, v] of Object.entries(labels)) {
    if (v === '') delete record[k];
    else record[k] = v;
  }
}

function vectorOf(value: QueryValue): { labels: SeriesLabels; value: number }[] {
  switch (value.type) {
    case 'vector':
      return value.samples.map((s) => ({ labels: s.labels, value: s.value }));
    case 'scalar':
      return [{ labels: [], value: value.value }];
    default:
      throw new Error(`rule result is not a vector or scalar: got ${value.type}`);
  }
}

function sameRules(a: RuleGroupSpec, b: RuleGroupSpec): boolean {
  const strip = (g: RuleGroupSpec): string =>
    JSON.stringify({
      ...g,
      rules: g.rules.map((r) =>
        r.type === 'alerting'
          ? { ...r, labelTemplates: undefined, annotationTemplates: undefined }
          : r,
      ),
    });
  return strip(a) === strip(b);
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** RFC 3339 as Prometheus prints it (Go's zero time when never). */
function rfc3339(ms: number | undefined): string {
  if (ms === undefined) return ZERO_TIME;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
