/**
 * Helpers shared by the TSDB tests (not a test file itself, not exported by
 * the package).
 * @internal
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabelMatcher } from '@vigil/model';
import type { Queryable, SeriesLabels } from '@vigil/storage';
import { openTsdb } from './tsdb.js';
import type { Tsdb, TsdbOptions } from './tsdb.js';

/** A fresh temporary directory; removed by the returned cleanup. */
export function tempDir(prefix = 'vigil-tsdb-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Opens a store for tests: no background timer, no time retention unless asked. */
export function openForTest(dir: string, options: TsdbOptions = {}): Tsdb {
  return openTsdb(dir, { maintenanceIntervalMs: 0, retentionMs: 0, ...options });
}

/** One collected sample: an object, so NaN payloads survive. */
export interface Sample {
  t: number;
  v: number;
}

/** Every series and sample a select returns. */
export function collect(
  q: Queryable,
  matchers: readonly LabelMatcher[] = [],
  mint = Number.MIN_SAFE_INTEGER,
  maxt = Number.MAX_SAFE_INTEGER,
): { labels: SeriesLabels; samples: Sample[] }[] {
  const querier = q.querier(mint, maxt);
  const set = querier.select(matchers, { sorted: true });
  const out: { labels: SeriesLabels; samples: Sample[] }[] = [];
  while (set.next()) {
    const series = set.at();
    const it = series.iterator();
    const samples: Sample[] = [];
    while (it.next()) samples.push({ t: it.timestampMs(), v: it.value() });
    out.push({ labels: [...series.labels], samples });
  }
  querier.close();
  return out;
}

const f = new Float64Array(1);
const u = new Uint32Array(f.buffer);

/** The bits of a double as hex, for exact comparisons. */
export function bits(v: number): string {
  f[0] = v;
  return u[1]!.toString(16).padStart(8, '0') + u[0]!.toString(16).padStart(8, '0');
}

/** Samples rendered `t@bits` for deepEqual. */
export function render(samples: readonly Sample[]): string[] {
  return samples.map((s) => `${s.t}@${bits(s.v)}`);
}
