// Shared fixtures for the function tests (no tests of its own; the `.test`
// suffix keeps it out of the published package).
import { Annotations } from '../annotations.js';
import type { Call, Expr, FunctionSignature, PositionRange } from '../parser/ast.js';
import type { FunctionContext, SampleWindow } from './types.js';

/**
 * Expands upstream series notation into values: numbers, `NaN`, `Inf`,
 * `-Inf`, `_` (no sample), `a+bxN` / `a-bxN` (N+1 values), `axN` (N+1
 * copies).
 */
export function expand(notation: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const token of notation.trim().split(/\s+/)) {
    if (token === '_') {
      out.push(undefined);
      continue;
    }
    const m = /^(-?[\d.]+(?:e[+-]?\d+)?)([+-])([\d.]+)x(\d+)$/i.exec(token);
    if (m !== null) {
      const start = Number(m[1]);
      const step = Number(m[3]) * (m[2] === '-' ? -1 : 1);
      for (let i = 0; i <= Number(m[4]); i++) out.push(start + step * i);
      continue;
    }
    const rep = /^([^x]+)x(\d+)$/.exec(token);
    if (rep !== null) {
      for (let i = 0; i <= Number(rep[2]); i++) out.push(Number(rep[1]));
      continue;
    }
    out.push(token === 'Inf' ? Infinity : token === '-Inf' ? -Infinity : Number(token));
  }
  return out;
}

/** A loaded series: sample i at i × intervalMs. */
export interface Loaded {
  readonly labels: readonly string[];
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
}

export function load(intervalMs: number, notation: string, labels: string[] = []): Loaded {
  const ts: number[] = [];
  const vs: number[] = [];
  expand(notation).forEach((v, i) => {
    if (v !== undefined) {
      ts.push(i * intervalMs);
      vs.push(v);
    }
  });
  return { labels, timestampsMs: Float64Array.from(ts), values: Float64Array.from(vs) };
}

/**
 * The window `name[rangeMs] offset offsetMs` sees at `evalMs`: samples in
 * (eval − offset − range, eval − offset].
 */
export function windowAt(s: Loaded, evalMs: number, rangeMs: number, offsetMs = 0): SampleWindow {
  const rangeEndMs = evalMs - offsetMs;
  const rangeStartMs = rangeEndMs - rangeMs;
  let from = 0;
  while (from < s.timestampsMs.length && s.timestampsMs[from]! <= rangeStartMs) from++;
  let to = from;
  while (to < s.timestampsMs.length && s.timestampsMs[to]! <= rangeEndMs) to++;
  return {
    labels: s.labels,
    timestampsMs: s.timestampsMs,
    values: s.values,
    from,
    to,
    rangeStartMs,
    rangeEndMs,
  };
}

const SIGNATURE: FunctionSignature = {
  name: 'f',
  argTypes: [],
  minArgs: 0,
  maxArgs: 0,
  returnType: 'vector',
  experimental: false,
};

/** A context whose call has one argument per given position (as number literals). */
export function context(
  timeMs: number,
  argPositions: PositionRange[] = [{ start: 2, end: 3 }],
): FunctionContext & { annotations: Annotations } {
  const args: Expr[] = argPositions.map((pos) => ({ type: 'NumberLiteral', value: 0, pos }));
  const call: Call = { type: 'Call', func: SIGNATURE, args, pos: { start: 0, end: 10 } };
  return { timeMs, annotations: new Annotations(), call };
}

/** Within `relTol` relative (or exactly equal, NaN = NaN). */
export function close(actual: number | undefined, expected: number, relTol = 1e-12): boolean {
  if (actual === undefined) return false;
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (actual === expected) return true;
  if (!Number.isFinite(expected)) return false;
  return Math.abs(actual - expected) <= relTol * Math.max(Math.abs(expected), 1e-300);
}
