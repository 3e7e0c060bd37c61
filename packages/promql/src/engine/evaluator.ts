import { ErrorCodes, VigilError, isStaleNaN } from '@vigil/model';
import type { Queryable, SeriesLabels } from '@vigil/storage';
import type { Annotations } from '../annotations.js';
import { FUNCTIONS, absentLabels } from '../functions/index.js';
import { evalDurationSeconds } from '../parser/duration.js';
import type {
  ElementwiseFunction,
  FunctionContext,
  LabelFunction,
  RangeFunction,
  VectorElement,
  VectorFunction,
} from '../functions/types.js';
import type {
  AtModifier,
  Call,
  DurationValue,
  Expr,
  MatrixSelector,
  SubqueryExpr,
  VectorSelector,
} from '../parser/ast.js';
import { evalAggregate } from './aggregate.js';
import { evalBinary } from './binary.js';
import { dropNameLabels, labelSetKey } from './labels.js';
import {
  SampleBuffer,
  newStepSeries,
  pointCount,
  stepTime,
  type EvalValue,
  type RawSeries,
  type StepGrid,
  type StepSeries,
} from './types.js';

/**
 * Everything one query shares while it is evaluated: the data, settings,
 * limits and annotations. Created per query; never shared between queries.
 */
export interface QueryState {
  readonly queryable: Queryable;
  readonly lookbackDeltaMs: number;
  /** The query's own start, end and step (`@ start()`, `step()`, `range()`). */
  readonly queryStartMs: number;
  readonly queryEndMs: number;
  readonly queryStepMs: number;
  readonly defaultSubqueryStepMs: number;
  readonly annotations: Annotations;
  readonly maxSamples: number;
  /** Samples held in memory right now (Prometheus's `currentSamples`). */
  currentSamples: number;
  /** Peak of `currentSamples`, for statistics. */
  peakSamples: number;
  /**
   * Per-step value slots allocated so far (every series holds one per step
   * of its grid, present or not). Bounded by `maxSlots`, so that a query
   * with a huge grid (`x[100y:1s]`) fails at once instead of exhausting memory.
   */
  slotsAllocated: number;
  readonly maxSlots: number;
  /** When the query fails with PROMQL_TIMEOUT, ms since the epoch. */
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/** Throws when the query ran past its deadline or was cancelled. */
export function checkInterrupt(state: QueryState): void {
  if (state.signal?.aborted) {
    throw new VigilError(ErrorCodes.PROMQL_CANCELED, 'query was canceled in expression evaluation');
  }
  if (Date.now() > state.deadlineMs) {
    throw new VigilError(
      ErrorCodes.PROMQL_TIMEOUT,
      `query timed out in expression evaluation (timeout ${state.timeoutMs / 1000}s): narrow the time range, raise the step or select fewer series`,
    );
  }
}

/** Counts `n` more samples held by the query; fails past `maxSamples`. */
export function holdSamples(state: QueryState, n: number): void {
  state.currentSamples += n;
  if (state.currentSamples > state.peakSamples) state.peakSamples = state.currentSamples;
  if (state.currentSamples > state.maxSamples) {
    throw new VigilError(
      ErrorCodes.PROMQL_TOO_MANY_SAMPLES,
      'query processing would load too many samples into memory in query execution',
      { details: { maxSamples: state.maxSamples } },
    );
  }
}

/** Counts `n` more per-step slots about to be allocated; fails past `maxSlots`. */
export function allocateSlots(state: QueryState, n: number): void {
  state.slotsAllocated += n;
  if (state.slotsAllocated > state.maxSlots) {
    throw new VigilError(
      ErrorCodes.PROMQL_TOO_MANY_SAMPLES,
      'query processing would load too many samples into memory in query execution: ' +
        'it spans too many steps for its series (raise the step or narrow the range or subquery)',
      { details: { maxSlots: state.maxSlots } },
    );
  }
}

/** Releases `n` samples counted by {@link holdSamples}. */
export function releaseSamples(state: QueryState, n: number): void {
  state.currentSamples -= n;
}

/** A query-time execution error with Prometheus's message. */
export function executionError(message: string): VigilError {
  return new VigilError(ErrorCodes.PROMQL_EXECUTION, message);
}

/** Skips any number of parentheses. */
export function unwrapParens(expr: Expr): Expr {
  let e = expr;
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}

const DUPLICATE_LABELSET = 'vector cannot contain metrics with the same labelset';

/**
 * Evaluates expressions over one step grid. Subqueries get an evaluator of
 * their own over the subquery's grid.
 */
export class Evaluator {
  constructor(
    readonly state: QueryState,
    readonly grid: StepGrid,
  ) {
    // One slot per step is the least any value of this grid needs.
    allocateSlots(state, grid.count);
  }

  /** A new, empty series over this evaluator's grid (its slots counted). */
  newSeries(labels: SeriesLabels, dropName: boolean): StepSeries {
    allocateSlots(this.state, this.grid.count);
    return newStepSeries(labels, this.grid.count, dropName);
  }

  /** Evaluates `expr` at every step of the grid. */
  eval(expr: Expr): EvalValue {
    switch (expr.type) {
      case 'NumberLiteral':
        return { kind: 'scalar', values: new Float64Array(this.grid.count).fill(expr.value) };
      case 'StringLiteral':
        return { kind: 'string', value: expr.value };
      case 'ParenExpr':
        return this.eval(expr.expr);
      case 'UnaryExpr':
        return this.evalUnary(expr.op, this.eval(expr.expr));
      case 'VectorSelector':
        return { kind: 'vector', series: this.selectVector(expr, false) };
      case 'MatrixSelector':
        return { kind: 'matrix', series: this.matrixAtSingleStep(expr) };
      case 'SubqueryExpr':
        return { kind: 'matrix', series: this.subqueryAtSingleStep(expr) };
      case 'BinaryExpr':
        return evalBinary(this, expr);
      case 'AggregateExpr':
        return evalAggregate(this, expr);
      case 'Call':
        return this.evalCall(expr);
    }
  }

  /** Evaluates an expression the parser typed as an instant vector. */
  evalVector(expr: Expr): StepSeries[] {
    const v = this.eval(expr);
    if (v.kind !== 'vector') throw executionError(`expected instant vector, got ${v.kind}`);
    return v.series;
  }

  /** Evaluates an expression the parser typed as a scalar. */
  evalScalar(expr: Expr): Float64Array {
    const v = this.eval(expr);
    if (v.kind !== 'scalar') throw executionError(`expected scalar, got ${v.kind}`);
    return v.values;
  }

  /** Evaluates a string-typed expression (a literal, possibly in parentheses). */
  evalString(expr: Expr): string {
    const v = this.eval(expr);
    if (v.kind !== 'string') throw executionError(`expected string, got ${v.kind}`);
    return v.value;
  }

  /** Resolves a duration (literal or duration expression) to ms. */
  durationMs(value: DurationValue | undefined): number {
    if (value === undefined) return 0;
    if (value.kind === 'literal') return value.ms;
    return Math.round(this.durationSeconds(value.expr) * 1000);
  }

  private durationSeconds(expr: Expr): number {
    return evalDurationSeconds(
      expr,
      (call, evaluate) => {
        switch (call.func.name) {
          case 'step':
            return this.state.queryStepMs / 1000;
          case 'range':
            return (this.state.queryEndMs - this.state.queryStartMs) / 1000;
          case 'min_of':
            return Math.min(...call.args.map(evaluate));
          case 'max_of':
            return Math.max(...call.args.map(evaluate));
          default:
            return undefined;
        }
      },
      () => {
        throw executionError(
          'invalid duration expression: use numbers, durations, + - * / % ^, step(), range(), min_of() and max_of()',
        );
      },
    );
  }

  /** The fixed evaluation time of an `@` modifier, or undefined. */
  atMs(at: AtModifier | undefined): number | undefined {
    if (at === undefined) return undefined;
    if (at.kind === 'timestamp') return at.ms;
    return at.kind === 'start' ? this.state.queryStartMs : this.state.queryEndMs;
  }

  /** The reference time of step `i` for a node with these modifiers. */
  private refTimes(atMs: number | undefined, offsetMs: number): Float64Array {
    const out = new Float64Array(this.grid.count);
    for (let i = 0; i < out.length; i++) out[i] = (atMs ?? stepTime(this.grid, i)) - offsetMs;
    return out;
  }

  // ---- selectors ----------------------------------------------------------

  /**
   * Evaluates an instant vector selector: at each step, the newest sample
   * in `(t − lookback, t]` that is not a staleness marker.
   */
  selectVector(vs: VectorSelector, keepTimestamps: boolean): StepSeries[] {
    if (vs.modifier !== undefined) throw unsupportedModifier(vs.modifier);
    const refs = this.refTimes(this.atMs(vs.at), this.durationMs(vs.offset));
    const count = refs.length;
    const [minRef, maxRef] = refsBounds(refs);
    const lookback = this.state.lookbackDeltaMs;
    const querier = this.state.queryable.querier(minRef - lookback + 1, maxRef);
    const out: StepSeries[] = [];
    try {
      const set = querier.select(vs.matchers);
      while (set.next()) {
        checkInterrupt(this.state);
        const s = set.at();
        const series = this.newSeries(s.labels, false);
        const timestamps = keepTimestamps ? new Float64Array(count) : undefined;
        if (count === 1) {
          // At the head of the data the store may know the newest sample
          // without decoding: then it is the answer (or there is none).
          const newest = s.newestSample?.();
          if (newest !== undefined && newest.timestampMs <= refs[0]!) {
            const t = newest.timestampMs;
            const v = newest.value;
            if (t > refs[0]! - lookback && !isStaleNaN(v)) {
              series.values[0] = v;
              series.present[0] = 1;
              if (timestamps) {
                timestamps[0] = t;
                series.timestampsMs = timestamps;
              }
              holdSamples(this.state, 1);
              out.push(series);
            }
            continue;
          }
        }
        const it = s.iterator();
        let has = it.next();
        let curT = has ? it.timestampMs() : 0;
        let curV = has ? it.value() : 0;
        let prevT = Number.NEGATIVE_INFINITY;
        let prevV = 0;
        let points = 0;
        for (let i = 0; i < count; i++) {
          if ((i & 0xffff) === 0xffff) checkInterrupt(this.state);
          const ref = refs[i]!;
          if (has && curT <= ref - lookback) {
            has = it.seek(ref - lookback + 1);
            prevT = Number.NEGATIVE_INFINITY;
            if (has) {
              curT = it.timestampMs();
              curV = it.value();
            }
          }
          while (has && curT <= ref) {
            prevT = curT;
            prevV = curV;
            has = it.next();
            if (has) {
              curT = it.timestampMs();
              curV = it.value();
            }
          }
          if (prevT > ref - lookback && prevT <= ref && !isStaleNaN(prevV)) {
            series.values[i] = prevV;
            series.present[i] = 1;
            if (timestamps) timestamps[i] = prevT;
            points++;
          }
        }
        if (points > 0) {
          holdSamples(this.state, points);
          if (timestamps) series.timestampsMs = timestamps;
          out.push(series);
        }
      }
    } finally {
      querier.close();
    }
    return out;
  }

  /**
   * Loads the raw samples of a matrix selector for every window the grid
   * needs, staleness markers removed. Calls `each` once per series.
   */
  private forEachRangeSeries(
    ms: MatrixSelector,
    each: (labels: SeriesLabels, buffer: SampleBuffer, ends: Float64Array, rangeMs: number) => void,
  ): void {
    const vs = ms.vector;
    const modifier = ms.modifier ?? vs.modifier;
    if (modifier !== undefined) throw unsupportedModifier(modifier);
    const rangeMs = this.durationMs(ms.range);
    const ends = this.refTimes(this.atMs(vs.at), this.durationMs(vs.offset));
    const [minEnd, maxEnd] = refsBounds(ends);
    const minStart = minEnd - rangeMs;
    const querier = this.state.queryable.querier(minStart + 1, maxEnd);
    const buffer = new SampleBuffer();
    try {
      const set = querier.select(vs.matchers);
      while (set.next()) {
        checkInterrupt(this.state);
        const s = set.at();
        buffer.clear();
        const it = s.iterator();
        let has = it.seek(minStart + 1);
        while (has) {
          const t = it.timestampMs();
          if (t > maxEnd) break;
          const v = it.value();
          if (!isStaleNaN(v)) buffer.push(t, v);
          has = it.next();
        }
        holdSamples(this.state, buffer.length);
        try {
          each(s.labels, buffer, ends, rangeMs);
        } finally {
          releaseSamples(this.state, buffer.length);
        }
      }
    } finally {
      querier.close();
    }
  }

  /** A matrix selector as a query result (instant queries only). */
  private matrixAtSingleStep(ms: MatrixSelector): RawSeries[] {
    this.requireSingleStep('range vector selector');
    const out: RawSeries[] = [];
    this.forEachRangeSeries(ms, (labels, buffer, ends, rangeMs) => {
      const end = ends[0]!;
      const start = end - rangeMs;
      const window = new SampleBuffer();
      for (let j = 0; j < buffer.length; j++) {
        const t = buffer.timestampsMs[j]!;
        if (t > start && t <= end) window.push(t, buffer.values[j]!);
      }
      if (window.length > 0) {
        holdSamples(this.state, window.length);
        out.push({ labels, ...window.take(), dropName: false });
      }
    });
    return out;
  }

  /** A subquery as a query result (instant queries only). */
  private subqueryAtSingleStep(sq: SubqueryExpr): RawSeries[] {
    this.requireSingleStep('subquery');
    const { series, ends, rangeMs } = this.evalSubquery(sq);
    const end = ends[0]!;
    const out: RawSeries[] = [];
    for (const s of series) {
      const window = new SampleBuffer();
      for (let j = 0; j < s.timestampsMs.length; j++) {
        const t = s.timestampsMs[j]!;
        if (t > end - rangeMs && t <= end) window.push(t, s.values[j]!);
      }
      if (window.length > 0) out.push({ labels: s.labels, ...window.take(), dropName: s.dropName });
    }
    return out;
  }

  private requireSingleStep(what: string): void {
    if (this.grid.count !== 1) {
      throw executionError(
        `cannot evaluate a ${what} at more than one step: use it inside a function`,
      );
    }
  }

  /**
   * Evaluates a subquery's inner expression over the aligned subquery grid
   * covering every window the outer grid needs. Returns the inner series as
   * raw samples (names already dropped where the inner result asked for it).
   */
  evalSubquery(sq: SubqueryExpr): { series: RawSeries[]; ends: Float64Array; rangeMs: number } {
    const rangeMs = this.durationMs(sq.range);
    const stepMs =
      sq.step === undefined ? this.state.defaultSubqueryStepMs : this.durationMs(sq.step);
    if (!(stepMs > 0)) throw executionError('zero or negative subquery step');
    const ends = this.refTimes(this.atMs(sq.at), this.durationMs(sq.offset));
    const [minEnd, maxEnd] = refsBounds(ends);
    const lowest = minEnd - rangeMs;
    let startMs = stepMs * Math.floor(lowest / stepMs);
    while (startMs <= lowest) startMs += stepMs;
    const raw: RawSeries[] = [];
    if (startMs <= maxEnd) {
      const count = Math.floor((maxEnd - startMs) / stepMs) + 1;
      const inner = new Evaluator(this.state, { startMs, endMs: maxEnd, stepMs, count });
      const value = inner.eval(sq.expr);
      const innerSeries: StepSeries[] =
        value.kind === 'vector'
          ? value.series
          : value.kind === 'scalar'
            ? [scalarAsSeries(value.values)]
            : [];
      for (const s of innerSeries) {
        const buffer = new SampleBuffer();
        for (let i = 0; i < count; i++) {
          if (s.present[i]) buffer.push(startMs + i * stepMs, s.values[i]!);
        }
        if (buffer.length === 0) continue;
        raw.push({
          labels: s.dropName ? dropNameLabels(s.labels) : s.labels,
          ...buffer.take(),
          dropName: false,
        });
      }
    }
    return { series: raw, ends, rangeMs };
  }

  // ---- unary --------------------------------------------------------------

  private evalUnary(op: '-' | '+', value: EvalValue): EvalValue {
    if (op === '+') return value;
    if (value.kind === 'scalar') return { kind: 'scalar', values: value.values.map((v) => -v) };
    if (value.kind === 'vector') {
      for (const s of value.series) {
        for (let i = 0; i < s.values.length; i++) s.values[i] = -s.values[i]!;
        s.dropName = true;
      }
      return value;
    }
    throw executionError(`unary minus is not allowed on a ${value.kind}`);
  }

  // ---- function calls -----------------------------------------------------

  /**
   * One context object per call, moved from step to step (a fresh object per
   * step and series would dominate the cost of cheap functions).
   */
  private functionContext(call: Call): { timeMs: number } & FunctionContext {
    return { timeMs: this.grid.startMs, annotations: this.state.annotations, call };
  }

  private evalCall(call: Call): EvalValue {
    const name = call.func.name;
    const count = this.grid.count;
    switch (name) {
      case 'time': {
        const values = new Float64Array(count);
        for (let i = 0; i < count; i++) values[i] = stepTime(this.grid, i) / 1000;
        return { kind: 'scalar', values };
      }
      case 'pi':
        return { kind: 'scalar', values: new Float64Array(count).fill(Math.PI) };
      case 'step':
        return {
          kind: 'scalar',
          values: new Float64Array(count).fill(this.state.queryStepMs / 1000),
        };
      case 'range':
        return {
          kind: 'scalar',
          values: new Float64Array(count).fill(
            (this.state.queryEndMs - this.state.queryStartMs) / 1000,
          ),
        };
      case 'start':
        return {
          kind: 'scalar',
          values: new Float64Array(count).fill(this.state.queryStartMs / 1000),
        };
      case 'end':
        return {
          kind: 'scalar',
          values: new Float64Array(count).fill(this.state.queryEndMs / 1000),
        };
      case 'min_of':
      case 'max_of': {
        const args = call.args.map((a) => this.evalScalar(a));
        const values = new Float64Array(count);
        for (let i = 0; i < count; i++) {
          const xs = args.map((a) => a[i]!);
          values[i] = name === 'min_of' ? Math.min(...xs) : Math.max(...xs);
        }
        return { kind: 'scalar', values };
      }
      case 'vector': {
        const values = this.evalScalar(call.args[0]!);
        const s = this.newSeries([], false);
        s.values.set(values);
        s.present.fill(1);
        holdSamples(this.state, count);
        return { kind: 'vector', series: [s] };
      }
      case 'scalar': {
        const input = this.evalVector(call.args[0]!);
        const values = new Float64Array(count).fill(Number.NaN);
        for (let i = 0; i < count; i++) {
          let seen = 0;
          for (const s of input) {
            if (s.present[i]) {
              seen++;
              values[i] = s.values[i]!;
            }
          }
          if (seen !== 1) values[i] = Number.NaN;
        }
        return { kind: 'scalar', values };
      }
      case 'timestamp':
        return { kind: 'vector', series: this.evalTimestamp(call) };
      case 'absent':
        return { kind: 'vector', series: this.evalAbsent(call) };
      case 'absent_over_time':
        return { kind: 'vector', series: this.evalAbsentOverTime(call) };
      default:
        break;
    }
    const impl = FUNCTIONS.get(name);
    if (impl === undefined) {
      throw executionError(`function "${name}" is not supported by this engine`);
    }
    switch (impl.kind) {
      case 'range':
        return { kind: 'vector', series: this.evalRangeFunction(call, impl) };
      case 'elementwise':
        return { kind: 'vector', series: this.evalElementwise(call, impl) };
      case 'labels':
        return { kind: 'vector', series: this.evalLabelFunction(call, impl) };
      case 'vector':
        return { kind: 'vector', series: this.evalVectorFunction(call, impl) };
    }
  }

  /** Scalar arguments per step and string arguments, skipping the argument at `skip`. */
  private otherArgs(call: Call, skip: number): { scalars: Float64Array[]; strings: string[] } {
    const scalars: Float64Array[] = [];
    const strings: string[] = [];
    call.args.forEach((arg, idx) => {
      if (idx === skip) return;
      const v = this.eval(arg);
      if (v.kind === 'scalar') scalars.push(v.values);
      else if (v.kind === 'string') strings.push(v.value);
      else throw executionError(`unexpected ${v.kind} argument to ${call.func.name}()`);
    });
    return { scalars, strings };
  }

  /**
   * Calls `each` with every series of the call's range-vector argument
   * (matrix selector or subquery) and its window ends.
   */
  private forEachWindowSeries(
    arg: Expr,
    each: (
      labels: SeriesLabels,
      timestampsMs: Float64Array,
      values: Float64Array,
      length: number,
      ends: Float64Array,
      rangeMs: number,
      dropName: boolean,
    ) => void,
  ): void {
    const node = unwrapParens(arg);
    if (node.type === 'MatrixSelector') {
      this.forEachRangeSeries(node, (labels, buffer, ends, rangeMs) =>
        each(labels, buffer.timestampsMs, buffer.values, buffer.length, ends, rangeMs, false),
      );
      return;
    }
    if (node.type === 'SubqueryExpr') {
      const { series, ends, rangeMs } = this.evalSubquery(node);
      let held = 0;
      for (const s of series) held += s.values.length;
      holdSamples(this.state, held);
      try {
        for (const s of series) {
          checkInterrupt(this.state);
          each(s.labels, s.timestampsMs, s.values, s.values.length, ends, rangeMs, s.dropName);
        }
      } finally {
        releaseSamples(this.state, held);
      }
      return;
    }
    throw executionError('expected a range vector (a matrix selector or a subquery)');
  }

  private matrixArgIndex(call: Call): number {
    const idx = call.args.findIndex((a) => {
      const n = unwrapParens(a);
      return n.type === 'MatrixSelector' || n.type === 'SubqueryExpr';
    });
    if (idx < 0) throw executionError(`${call.func.name}() needs a range vector argument`);
    return idx;
  }

  private evalRangeFunction(call: Call, impl: RangeFunction): StepSeries[] {
    const count = this.grid.count;
    const matrixIdx = this.matrixArgIndex(call);
    const { scalars } = this.otherArgs(call, matrixIdx);
    const scalarArgs: number[] = new Array<number>(scalars.length).fill(0);
    const out: StepSeries[] = [];
    const ctx = this.functionContext(call);
    this.forEachWindowSeries(call.args[matrixIdx]!, (labels, ts, vs, length, ends, rangeMs) => {
      const series = this.newSeries(labels, impl.dropsName);
      let from = 0;
      let to = 0;
      let points = 0;
      const window = {
        labels,
        timestampsMs: ts,
        values: vs,
        from: 0,
        to: 0,
        rangeStartMs: 0,
        rangeEndMs: 0,
      };
      for (let i = 0; i < count; i++) {
        if ((i & 0xffff) === 0xffff) checkInterrupt(this.state);
        const end = ends[i]!;
        const start = end - rangeMs;
        if (i > 0 && end < ends[i - 1]!) {
          from = 0;
          to = 0;
        }
        while (from < length && ts[from]! <= start) from++;
        if (to < from) to = from;
        while (to < length && ts[to]! <= end) to++;
        if (to <= from) continue;
        window.from = from;
        window.to = to;
        window.rangeStartMs = start;
        window.rangeEndMs = end;
        for (let a = 0; a < scalars.length; a++) scalarArgs[a] = scalars[a]![i]!;
        ctx.timeMs = stepTime(this.grid, i);
        const v = impl.compute(window, scalarArgs, ctx);
        if (v !== undefined) {
          series.values[i] = v;
          series.present[i] = 1;
          points++;
        }
      }
      if (points > 0) {
        holdSamples(this.state, points);
        out.push(series);
        impl.afterSeries?.(labels, ctx);
      }
    });
    return out;
  }

  private evalElementwise(call: Call, impl: ElementwiseFunction): StepSeries[] {
    const count = this.grid.count;
    let input: StepSeries[];
    let vectorIdx = call.args.findIndex((a) => a.type !== 'StringLiteral' && isVectorTyped(a));
    if (vectorIdx < 0 && call.args.length === 0) {
      // Date functions default to vector(time()).
      const s = this.newSeries([], false);
      for (let i = 0; i < count; i++) s.values[i] = stepTime(this.grid, i) / 1000;
      s.present.fill(1);
      input = [s];
      vectorIdx = -1;
    } else {
      input = this.evalVector(call.args[vectorIdx]!);
    }
    const { scalars } = this.otherArgs(call, vectorIdx);
    const scalarArgs: number[] = new Array<number>(scalars.length).fill(0);
    const out: StepSeries[] = [];
    const ctx = this.functionContext(call);
    for (const s of input) {
      checkInterrupt(this.state);
      for (let i = 0; i < count; i++) {
        if (!s.present[i]) continue;
        for (let a = 0; a < scalars.length; a++) scalarArgs[a] = scalars[a]![i]!;
        ctx.timeMs = stepTime(this.grid, i);
        if (impl.dropsAll?.(scalarArgs)) {
          s.present[i] = 0;
          continue;
        }
        s.values[i] = impl.compute(s.values[i]!, scalarArgs, ctx);
      }
      if (impl.dropsName) s.dropName = true;
      out.push(s);
    }
    return out.filter((s) => pointCount(s) > 0);
  }

  private evalLabelFunction(call: Call, impl: LabelFunction): StepSeries[] {
    const { strings } = this.otherArgs(call, 0);
    impl.validate?.(strings);
    const input = this.evalVector(call.args[0]!);
    const ctx = this.functionContext(call);
    const setsName = strings[0] === '__name__';
    const outputs: StepSeries[] = input.map((s) => ({
      ...s,
      labels: impl.compute(s.labels, strings, ctx),
      dropName: setsName ? false : s.dropName,
    }));
    return mergeByLabels(outputs, this.grid.count);
  }

  private evalVectorFunction(call: Call, impl: VectorFunction): StepSeries[] {
    const count = this.grid.count;
    const vectorIdx = call.args.findIndex((a) => isVectorTyped(a));
    const input = vectorIdx < 0 ? [] : this.evalVector(call.args[vectorIdx]!);
    const { scalars, strings } = this.otherArgs(call, vectorIdx);
    if (call.func.name.startsWith('sort') && this.state.queryStepMs > 0) {
      this.state.annotations.warn(
        'sort is ineffective for range queries since results are always ordered by labels',
        call.pos,
      );
    }
    const scalarArgs: number[] = new Array<number>(scalars.length).fill(0);
    const byKey = new Map<string, StepSeries>();
    const ordered: StepSeries[] = [];
    const ctx = this.functionContext(call);
    for (let i = 0; i < count; i++) {
      if ((i & 0xfff) === 0xfff) checkInterrupt(this.state);
      ctx.timeMs = stepTime(this.grid, i);
      const elements: VectorElement[] = [];
      for (const s of input) {
        if (s.present[i])
          elements.push({ labels: s.labels, value: s.values[i]!, dropName: s.dropName });
      }
      for (let a = 0; a < scalars.length; a++) scalarArgs[a] = scalars[a]![i]!;
      const result = impl.compute(elements, scalarArgs, strings, ctx);
      for (const r of result) {
        const key = labelSetKey(r.labels);
        let s = byKey.get(key);
        if (s === undefined) {
          s = this.newSeries(r.labels, r.dropName);
          byKey.set(key, s);
          ordered.push(s);
        } else if (s.present[i]) {
          throw executionError(DUPLICATE_LABELSET);
        }
        s.values[i] = r.value;
        s.present[i] = 1;
      }
    }
    let points = 0;
    for (const s of ordered) points += pointCount(s);
    holdSamples(this.state, points);
    return ordered;
  }

  private evalTimestamp(call: Call): StepSeries[] {
    const arg = unwrapParens(call.args[0]!);
    if (arg.type === 'VectorSelector') {
      const series = this.selectVector(arg, true);
      for (const s of series) {
        const ts = s.timestampsMs!;
        for (let i = 0; i < s.values.length; i++) s.values[i] = ts[i]! / 1000;
        s.timestampsMs = undefined;
        s.dropName = true;
      }
      return series;
    }
    const series = this.evalVector(arg);
    for (const s of series) {
      for (let i = 0; i < s.values.length; i++) s.values[i] = stepTime(this.grid, i) / 1000;
      s.dropName = true;
    }
    return series;
  }

  private evalAbsent(call: Call): StepSeries[] {
    const input = this.evalVector(call.args[0]!);
    const count = this.grid.count;
    const out = this.newSeries(absentLabels(call.args[0]!), false);
    let points = 0;
    for (let i = 0; i < count; i++) {
      if (!input.some((s) => s.present[i])) {
        out.values[i] = 1;
        out.present[i] = 1;
        points++;
      }
    }
    if (points === 0) return [];
    holdSamples(this.state, points);
    return [out];
  }

  private evalAbsentOverTime(call: Call): StepSeries[] {
    const count = this.grid.count;
    const seen = new Uint8Array(count);
    this.forEachWindowSeries(call.args[0]!, (_labels, ts, _vs, length, ends, rangeMs) => {
      let from = 0;
      for (let i = 0; i < count; i++) {
        const end = ends[i]!;
        if (i > 0 && end < ends[i - 1]!) from = 0;
        while (from < length && ts[from]! <= end - rangeMs) from++;
        if (from < length && ts[from]! <= end) seen[i] = 1;
      }
    });
    const out = this.newSeries(absentLabels(call.args[0]!), true);
    let points = 0;
    for (let i = 0; i < count; i++) {
      if (!seen[i]) {
        out.values[i] = 1;
        out.present[i] = 1;
        points++;
      }
    }
    if (points === 0) return [];
    holdSamples(this.state, points);
    return [out];
  }
}

/** The experimental extended range selectors parse but are not evaluated yet. */
function unsupportedModifier(modifier: 'anchored' | 'smoothed'): VigilError {
  return executionError(
    `the experimental "${modifier}" modifier is not supported by this engine; drop it to use a plain range`,
  );
}

/** True for arguments typed as instant vectors (not scalars, strings or ranges). */
function isVectorTyped(expr: Expr): boolean {
  const e = unwrapParens(expr);
  switch (e.type) {
    case 'VectorSelector':
    case 'AggregateExpr':
      return true;
    case 'Call':
      return e.func.returnType === 'vector';
    case 'BinaryExpr':
      return isVectorTyped(e.lhs) || isVectorTyped(e.rhs);
    case 'UnaryExpr':
      return isVectorTyped(e.expr);
    default:
      return false;
  }
}

/** A scalar as a vector with one label-less series (for subqueries over scalars). */
function scalarAsSeries(values: Float64Array): StepSeries {
  const s = newStepSeries([], values.length, false);
  s.values.set(values);
  s.present.fill(1);
  return s;
}

/** The smallest and largest values of a non-empty array (avoids spreading huge arrays). */
function refsBounds(refs: Float64Array): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i]!;
    if (r < min) min = r;
    if (r > max) max = r;
  }
  return [min, max];
}

/**
 * Merges series with equal label sets whose steps do not overlap; a step
 * where two of them have a value fails with Prometheus's duplicate-labelset
 * error. Keeps the first-seen order.
 */
export function mergeByLabels(series: StepSeries[], count: number): StepSeries[] {
  const byKey = new Map<string, StepSeries>();
  const out: StepSeries[] = [];
  for (const s of series) {
    const key = labelSetKey(s.labels);
    const existing = byKey.get(key);
    if (existing === undefined) {
      byKey.set(key, s);
      out.push(s);
      continue;
    }
    for (let i = 0; i < count; i++) {
      if (!s.present[i]) continue;
      if (existing.present[i]) throw executionError(DUPLICATE_LABELSET);
      existing.values[i] = s.values[i]!;
      existing.present[i] = 1;
    }
    existing.dropName = existing.dropName || s.dropName;
  }
  return out;
}

export { DUPLICATE_LABELSET };
