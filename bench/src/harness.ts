/**
 * A small benchmark harness: Vigil and its peer are measured in the same
 * process, in alternating rounds, so that machine noise hits both alike. We
 * report medians and the ratio of medians.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** One compared figure: Vigil against a peer, same unit, same run. */
export interface Comparison {
  /** Suite name, for example "metrics". */
  suite: string;
  /** What was measured, for example "counter inc, 3 labels as object". */
  name: string;
  /** Unit of `vigil` and `peer`, for example "ns/op" or "ms". */
  unit: string;
  /** Median of Vigil's rounds. */
  vigil: number;
  /** Median of the peer's rounds. */
  peer: number;
  /** Name of the peer, for example "prom-client 15.1.3". */
  peerName: string;
  /** How many times better Vigil is (peer/vigil for "lower is better" units). */
  ratio: number;
  /** The target, as text ("≥ 4x"), and whether it was met. */
  target: string;
  met: boolean;
  /**
   * True for a figure the issue asks to report without a target (the
   * side-by-side with Prometheus): shown with its ratio, `met` not judged.
   */
  informational?: boolean;
  /** Extra figures worth recording (max event-loop block, bytes, ...). */
  notes?: string;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Times `body(iterations)` and returns nanoseconds per iteration. `body` must
 * run its operation `iterations` times; keep the loop inside it so that call
 * overhead of the harness is not measured.
 */
export function timeNsPerOp(body: (iterations: number) => unknown, iterations: number): number {
  const start = process.hrtime.bigint();
  body(iterations);
  const elapsed = Number(process.hrtime.bigint() - start);
  return elapsed / iterations;
}

/**
 * Measures two bodies in alternating rounds after a warm-up and returns the
 * median ns/op of each.
 */
export function compareNsPerOp(
  vigil: (iterations: number) => unknown,
  peer: (iterations: number) => unknown,
  options: { iterations: number; rounds?: number; warmupIterations?: number },
): { vigil: number; peer: number } {
  const rounds = options.rounds ?? 9;
  const warm = options.warmupIterations ?? Math.min(options.iterations, 200_000);
  vigil(warm);
  peer(warm);
  const v: number[] = [];
  const p: number[] = [];
  for (let r = 0; r < rounds; r++) {
    v.push(timeNsPerOp(vigil, options.iterations));
    p.push(timeNsPerOp(peer, options.iterations));
  }
  return { vigil: median(v), peer: median(p) };
}

/** Like {@link compareNsPerOp} for async bodies measured in milliseconds per call. */
export async function compareAsyncMs(
  vigil: () => Promise<unknown>,
  peer: () => Promise<unknown>,
  options: { rounds?: number; warmup?: number } = {},
): Promise<{ vigil: number; peer: number; vigilRounds: number[]; peerRounds: number[] }> {
  const rounds = options.rounds ?? 7;
  for (let i = 0; i < (options.warmup ?? 2); i++) {
    await vigil();
    await peer();
  }
  const v: number[] = [];
  const p: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await vigil();
    v.push(performance.now() - t);
    t = performance.now();
    await peer();
    p.push(performance.now() - t);
  }
  return { vigil: median(v), peer: median(p), vigilRounds: v, peerRounds: p };
}

/** Builds a {@link Comparison} for a "lower is better" unit and a minimum ratio. */
export function lowerIsBetter(
  base: Omit<Comparison, 'ratio' | 'met' | 'target'>,
  minRatio: number,
): Comparison {
  const ratio = base.peer / base.vigil;
  return { ...base, ratio, target: `≥ ${minRatio}x`, met: ratio >= minRatio };
}

/** Builds a {@link Comparison} for a "higher is better" unit (requests/s) and a minimum ratio. */
export function higherIsBetter(
  base: Omit<Comparison, 'ratio' | 'met' | 'target'>,
  minRatio: number,
): Comparison {
  const ratio = base.vigil / base.peer;
  return { ...base, ratio, target: `≥ ${minRatio}x`, met: ratio >= minRatio };
}

/** Builds an informational {@link Comparison}: a ratio (peer/vigil for "lower is better") and no target. */
export function reported(
  base: Omit<Comparison, 'ratio' | 'met' | 'target' | 'informational'>,
  lowerBetter: boolean,
): Comparison {
  const ratio = lowerBetter ? base.peer / base.vigil : base.vigil / base.peer;
  return { ...base, ratio, target: 'none, reported', met: true, informational: true };
}

/** Formats a number with at most 3 significant decimals for tables. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/**
 * Prints the comparisons as a table and writes them as JSON to
 * `bench/results/<suite>.json`, which `run-all` gathers into docs/benchmarks.md.
 */
export function report(suite: string, results: readonly Comparison[]): void {
  console.log(`\n== ${suite} ==`);
  for (const r of results) {
    console.log(
      `${r.informational ? 'info' : r.met ? 'ok  ' : 'MISS'} ${r.name}: vigil ${fmt(r.vigil)} ${r.unit}, ${r.peerName} ` +
        `${fmt(r.peer)} ${r.unit}, ratio ${fmt(r.ratio)}x (target ${r.target})` +
        (r.notes ? ` [${r.notes}]` : ''),
    );
  }
  const dir = join(new URL('..', import.meta.url).pathname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${suite}.json`), JSON.stringify(results, null, 2) + '\n');
}
