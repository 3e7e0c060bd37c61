import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { MemoryStorage, labelsKey, sortLabelPairs } from '@vigil/storage';
import type { SeriesLabels, SeriesRef } from '@vigil/storage';
import { Engine } from '../engine/engine.js';
import { parseExpr } from '../parser/parser.js';
import type { QueryApi, QueryResult } from '../query-api.js';
import type { QueryValue } from '../value.js';
import {
  classifyScript,
  RANGE_DEPENDENT_CALLS,
  TIME_DEPENDENT_CALLS,
  analyzeQuery,
} from './classify.js';
import type { SkipReason } from './classify.js';
import { pinQueryPrinted } from './pin-at.js';
import { checkAnnotations, checkFailure, compareResult } from './compare.js';
import { PointKind, parseTestScript } from './script.js';
import type { EvalCommand, LoadCommand, SeriesLine, TestScript } from './script.js';

/**
 * Runs PromQL test scripts against the Vigil engine, as the upstream
 * harness does (§7 of the format): a fresh `MemoryStorage` per file and per
 * `clear`, every in-scope eval checked, instant evals re-run in range mode
 * (and, given a query rewriter, pinned with `@` at other times). One run
 * per call; calls may run concurrently (they share nothing).
 */

/** The outcome of one eval. */
export type EvalOutcome =
  | { readonly status: 'pass' }
  | { readonly status: 'fail'; readonly message: string }
  | { readonly status: 'skipped'; readonly reason: SkipReason; readonly detail: string };

/** One eval's outcome with where it is. */
export interface EvalReport {
  readonly file: string;
  readonly line: number;
  readonly expr: string;
  readonly outcome: EvalOutcome;
}

/** Per-file counts and failures. */
export interface FileReport {
  readonly file: string;
  readonly pass: number;
  /** In-scope evals that failed. */
  readonly fail: number;
  /**
   * Problems with the script itself: it does not read, a query does not
   * parse (§5.1: upstream fails the whole file), a load is refused.
   */
  readonly scriptErrors: number;
  /** Skipped evals by reason. */
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** Failures and script errors (`file:line: …`, failures with the diff). */
  readonly failures: readonly string[];
  readonly evals: readonly EvalReport[];
}

/** Options of {@link runTestScript} / {@link runTestFile}. */
export interface RunOptions {
  /** Only run the eval whose header is on this 1-based line (loads still run). */
  readonly onlyLine?: number;
  /**
   * Rewrites a query so that every selector and subquery without `@` gets
   * `@ <atMs>` (for the step-invariance re-runs of §7.2). Default
   * {@link pinQueryPrinted} (as upstream); `false` turns those re-runs off.
   */
  readonly pinQuery?: ((query: string, atMs: number) => string) | false;
  /** Parse every eval's query when the script is read (§5.1). Default true. */
  readonly checkQueries?: boolean;
  /** Builds the engine for a storage; default {@link newTestEngine}. */
  readonly engineFor?: (storage: MemoryStorage) => QueryApi;
}

/** The engine the upstream harness is mirrored with (§7), over `storage`. */
export function newTestEngine(storage: MemoryStorage): QueryApi {
  return new Engine({
    queryable: storage,
    lookbackDeltaMs: 5 * 60_000,
    // As upstream: no eval expects the limit to be hit, and every in-scope
    // eval runs within it (checked), so this catches sample-accounting drift.
    maxSamples: 10_000,
    timeoutMs: 100_000,
    experimental: true,
    defaultSubqueryStepMs: 60_000,
  });
}

/** Reads and runs one `.test` file. */
export async function runTestFile(path: string, options: RunOptions = {}): Promise<FileReport> {
  const text = await readFile(path, 'utf8');
  return runTestScript(text, basename(path), options);
}

/** Runs a script's text; `fileName` names it in messages. Never throws for a failing test. */
export async function runTestScript(
  text: string,
  fileName: string,
  options: RunOptions = {},
): Promise<FileReport> {
  const skipped: Record<SkipReason, number> = { 'native-histogram': 0, experimental: 0 };
  const failures: string[] = [];
  const evals: EvalReport[] = [];
  let pass = 0;
  let fail = 0;
  let scriptErrors = 0;
  let script: TestScript;
  try {
    script = parseTestScript(text, fileName);
  } catch (err) {
    failures.push((err as Error).message);
    return { file: fileName, pass, fail, scriptErrors: 1, skipped, failures, evals };
  }
  if (options.checkQueries !== false) {
    // Upstream parses every query when it reads the script: a parse error
    // fails the whole file (even under `expect fail`). Recorded once here;
    // the evals still run so that the counts stay informative.
    for (const cmd of script.commands) {
      if (cmd.type !== 'eval') continue;
      if (options.onlyLine !== undefined && cmd.line !== options.onlyLine) continue;
      try {
        parseExpr(cmd.expr, { experimental: true });
      } catch (err) {
        scriptErrors++;
        failures.push(
          `${fileName}:${cmd.line}: the script is invalid: query ${JSON.stringify(cmd.expr)} ` +
            `does not parse: ${(err as Error).message}`,
        );
      }
    }
  }
  const scopes = classifyScript(script);
  const engineFor = options.engineFor ?? newTestEngine;
  let storage = new MemoryStorage();
  let engine = engineFor(storage);
  for (const cmd of script.commands) {
    if (cmd.type === 'clear') {
      storage.close();
      storage = new MemoryStorage();
      engine = engineFor(storage);
      continue;
    }
    if (cmd.type === 'load') {
      const problem = await load(storage, cmd);
      if (problem !== undefined) {
        scriptErrors++;
        failures.push(`${fileName}:${cmd.line}: load failed: ${problem}`);
      }
      continue;
    }
    if (options.onlyLine !== undefined && cmd.line !== options.onlyLine) continue;
    const scope = scopes.get(cmd)!;
    let outcome: EvalOutcome;
    if (scope.scope === 'skipped') {
      skipped[scope.reason]++;
      outcome = { status: 'skipped', reason: scope.reason, detail: scope.detail };
    } else {
      const problem = await runEval(engine, cmd, options);
      if (problem === undefined) {
        pass++;
        outcome = { status: 'pass' };
      } else {
        fail++;
        const message = `${fileName}:${cmd.line}: ${cmd.header}\n  ${problem}`;
        failures.push(message);
        outcome = { status: 'fail', message };
      }
    }
    evals.push({ file: fileName, line: cmd.line, expr: cmd.expr, outcome });
  }
  return { file: fileName, pass, fail, scriptErrors, skipped, failures, evals };
}

/** Loads a `load` block's float samples (histograms and `@st` lines are not loaded). */
async function load(storage: MemoryStorage, cmd: LoadCommand): Promise<string | undefined> {
  // Upstream keeps a block's series in a map keyed by label set: a series
  // written twice in one block takes its last line (aggregators.test relies on it).
  const bySeries = new Map<string, { labels: SeriesLabels; series: SeriesLine }>();
  for (const series of cmd.series) {
    const flat: string[] = [];
    for (const [n, v] of series.labels) if (v !== '') flat.push(n, v);
    const labels = sortLabelPairs(flat);
    bySeries.set(labelsKey(labels), { labels, series });
  }
  const app = storage.appender();
  try {
    for (const { labels, series } of bySeries.values()) {
      let ref: SeriesRef = 0;
      const { kinds, values } = series.values;
      for (let i = 0; i < kinds.length; i++) {
        if (kinds[i] !== PointKind.Float) continue;
        ref = app.append(ref, labels, i * cmd.intervalMs, values[i]!);
      }
    }
    await app.commit();
    return undefined;
  } catch (err) {
    app.rollback();
    return (err as Error).message;
  }
}

type Outcome = { ok: true; result: QueryResult } | { ok: false; message: string };

async function attempt(run: () => Promise<QueryResult>): Promise<Outcome> {
  try {
    return { ok: true, result: await run() };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

/** Checks a query outcome against an eval's failure, annotation and value expectations. */
function checkOutcome(ev: EvalCommand, outcome: Outcome, annotations: boolean): string | undefined {
  if (!outcome.ok) return checkFailure(ev, outcome.message);
  if (ev.fail !== undefined) return 'expected the query to fail, but it succeeded';
  if (annotations) {
    const w = checkAnnotations('warn', ev.warn, ev.noWarn, outcome.result.warnings);
    if (w !== undefined) return w;
    const i = checkAnnotations('info', ev.info, ev.noInfo, outcome.result.infos);
    if (i !== undefined) return i;
  }
  return compareResult(ev, outcome.result.value);
}

/** The instant times of the step-invariance re-runs (§7.2). */
export function stepInvarianceTimes(timeMs: number): number[] {
  return timeMs === 0 ? [-1000, 0, 1000] : [-10 * timeMs, 0, timeMs / 5, timeMs, 10 * timeMs];
}

/** Runs one eval with all its re-runs; returns the first problem or undefined. */
export async function runEval(
  engine: QueryApi,
  ev: EvalCommand,
  options: Pick<RunOptions, 'pinQuery'> = {},
): Promise<string | undefined> {
  if (ev.kind === 'range') {
    const outcome = await attempt(() =>
      engine.rangeQuery(ev.expr, ev.startMs, ev.endMs, ev.stepMs),
    );
    return checkOutcome(ev, outcome, true);
  }
  const calls = analyzeQuery(ev.expr).calls;
  const runs: { query: string; timeMs: number }[] = [{ query: ev.expr, timeMs: ev.timeMs }];
  const pin = options.pinQuery ?? pinQueryPrinted;
  if (pin !== false && ![...calls].some((c) => TIME_DEPENDENT_CALLS.has(c))) {
    let pinned: string | undefined;
    try {
      pinned = pin(ev.expr, ev.timeMs);
    } catch {
      // Unparsable: the run as written reports it.
    }
    if (pinned !== undefined) {
      for (const t of stepInvarianceTimes(ev.timeMs)) runs.push({ query: pinned, timeMs: t });
    }
  }
  const rangeRerun =
    !ev.ordered &&
    ev.expectedString === undefined &&
    ev.rangeVector === undefined &&
    ![...calls].some((c) => RANGE_DEPENDENT_CALLS.has(c));
  for (const [index, run] of runs.entries()) {
    const where = index === 0 ? '' : `in re-run "${run.query}" at ${run.timeMs}ms: `;
    const outcome = await attempt(() => engine.instantQuery(run.query, run.timeMs));
    const problem = checkOutcome(ev, outcome, true);
    if (problem !== undefined) return where + problem;
    if (!outcome.ok || !rangeRerun) continue;
    const ranged = await attempt(() =>
      engine.rangeQuery(run.query, run.timeMs - 60_000, run.timeMs + 60_000, 60_000),
    );
    const rangeWhere =
      `in range-mode re-run "${run.query}" from ${run.timeMs - 60_000}ms to ` +
      `${run.timeMs + 60_000}ms step 1m, at ${run.timeMs}ms: `;
    if (!ranged.ok) return `${rangeWhere}query failed: ${ranged.message}`;
    const atT = pointAt(ranged.result.value, run.timeMs, outcome.result.value.type === 'scalar');
    if (typeof atT === 'string') return rangeWhere + atT;
    const valueProblem = compareResult(ev, atT);
    if (valueProblem !== undefined) return rangeWhere + valueProblem;
  }
  return undefined;
}

/** The point at `timeMs` of each series of a range result, as an instant vector (or scalar). */
function pointAt(value: QueryValue, timeMs: number, asScalar: boolean): QueryValue | string {
  if (value.type !== 'matrix') return `range query returned a ${value.type}, not a matrix`;
  const samples: { labels: readonly string[]; timestampMs: number; value: number }[] = [];
  for (const s of value.series) {
    for (let i = 0; i < s.timestampsMs.length; i++) {
      if (s.timestampsMs[i] === timeMs) {
        samples.push({ labels: s.labels, timestampMs: timeMs, value: s.values[i]! });
        break;
      }
    }
  }
  if (asScalar) {
    const first = samples[0];
    if (first === undefined) return 'range query returned no point for the scalar';
    return { type: 'scalar', timestampMs: timeMs, value: first.value };
  }
  return { type: 'vector', samples };
}
