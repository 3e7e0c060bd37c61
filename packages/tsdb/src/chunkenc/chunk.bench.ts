// Completed-chunk figures: bytes per sample of XOR only vs the best of XOR
// and scaled integer (encodeCompletedChunk), per series kind, at 120, 480
// and 2048 samples per chunk and with the store's compaction limits; and
// the speed of encodeCompletedChunk, decodeChunk and ChunkIterator.
//
//   npx tsc -b packages/tsdb && node packages/tsdb/dist/chunkenc/chunk.bench.js [targets] [rounds]
//
// `targets` node-exporter-like plus as many HTTP-RED-like targets (default
// 5 + 5, about 5 300 series). Speeds are the median over `rounds` (default
// 7) of one pass over all chunks. The machine may be shared: the best round
// is closer to the code's own speed.
import { performance } from 'node:perf_hooks';
import {
  ChunkIterator,
  chunkEncoding,
  decodeChunk,
  encodeCompletedChunk,
  transcodeCompletedChunk,
} from './chunk.js';
import { SCALED_CHUNK_ENCODING } from './scaled.js';
import { ScrapeWorkload } from './workload.js';
import { XorChunkEncoder, decodeXorChunk } from './xor.js';

const targets = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 7);
/** The store's compaction limits (packages/tsdb/src/tsdb.ts). */
const COMPACT_MAX_SAMPLES = 2048;
const COMPACT_MAX_BYTES = 3500;

interface Series {
  timestamps: Float64Array;
  values: Float64Array;
}

function workload(samples: number, jitterMs: number): { series: Series[]; kinds: string[] } {
  const w = new ScrapeWorkload({ seed: 42, nodeTargets: targets, httpTargets: targets, jitterMs });
  return { series: w.samplesPerSeries(samples), kinds: w.series.map((s) => s.kind) };
}

function xorChunk(s: Series, from: number, to: number): Uint8Array {
  const e = new XorChunkEncoder();
  for (let i = from; i < to; i++) e.append(s.timestamps[i]!, s.values[i]!);
  return e.bytes();
}

function bestChunk(s: Series, from: number, to: number): Uint8Array {
  return encodeCompletedChunk(s.timestamps.subarray(from), s.values.subarray(from), to - from);
}

interface Tally {
  xor: number;
  best: number;
  samples: number;
  xorChunks: number;
  bestChunks: number;
  scaled: number;
}

function tally(): Tally {
  return { xor: 0, best: 0, samples: 0, xorChunks: 0, bestChunks: 0, scaled: 0 };
}

const f3 = (x: number): string => x.toFixed(3);

function report(label: string, total: Tally, byKind: Map<string, Tally>, perKind: boolean): void {
  const pct = ((100 * total.scaled) / total.bestChunks).toFixed(0);
  console.log(
    `${label}: XOR ${f3(total.xor / total.samples)} -> best-of ${f3(total.best / total.samples)} bytes/sample` +
      ` (${total.xorChunks} XOR chunks, ${total.bestChunks} best-of chunks, ${pct}% scaled)`,
  );
  if (!perKind) return;
  const rows = [...byKind].sort((a, b) => b[1].xor - a[1].xor);
  for (const [kind, t] of rows) {
    console.log(
      `  ${kind.padEnd(14)} ${String(t.xorChunks).padStart(5)} series` +
        `  XOR ${f3(t.xor / t.samples).padStart(6)}  best ${f3(t.best / t.samples).padStart(6)}` +
        `  share of all bytes: XOR ${((100 * t.xor) / total.xor).toFixed(1).padStart(4)}%` +
        ` best ${((100 * t.best) / total.best).toFixed(1).padStart(4)}%`,
    );
  }
}

/** Fixed-size chunks of `n` samples, XOR vs best-of. */
function fixedChunks(n: number, jitterMs: number, label: string, perKind: boolean): void {
  const d = workload(n, jitterMs);
  const total = tally();
  const byKind = new Map<string, Tally>();
  d.series.forEach((s, i) => {
    const x = xorChunk(s, 0, n).length;
    const b = bestChunk(s, 0, n);
    const kind = d.kinds[i]!;
    for (const t of [total, byKind.get(kind) ?? byKind.set(kind, tally()).get(kind)!]) {
      t.xor += x;
      t.best += b.length;
      t.samples += n;
      t.xorChunks++;
      t.bestChunks++;
      if (chunkEncoding(b) === SCALED_CHUNK_ENCODING) t.scaled++;
    }
  });
  report(label, total, byKind, perKind);
}

/**
 * Compaction as the store does it: 2048 samples per series cut into chunks
 * of at most 2048 samples, a chunk ending once its XOR encoding reaches
 * 3500 bytes. "xor-cut" re-encodes those same chunks with
 * encodeCompletedChunk; "best-cut" cuts where the best-of encoding reaches
 * 3500 bytes instead (the longest prefix that fits, found by bisection).
 */
function compaction(jitterMs: number): void {
  const n = COMPACT_MAX_SAMPLES;
  const d = workload(n, jitterMs);
  const xorCut = tally();
  const bestCut = tally();
  for (const s of d.series) {
    // XOR-driven cuts, as the store's merge loop.
    let from = 0;
    let e = new XorChunkEncoder(COMPACT_MAX_BYTES + 64);
    for (let i = 0; i < n; i++) {
      e.append(s.timestamps[i]!, s.values[i]!);
      if (e.numSamples >= COMPACT_MAX_SAMPLES || e.sizeBytes >= COMPACT_MAX_BYTES || i === n - 1) {
        const b = bestChunk(s, from, i + 1);
        xorCut.xor += e.sizeBytes;
        xorCut.best += b.length;
        xorCut.xorChunks++;
        xorCut.bestChunks++;
        if (chunkEncoding(b) === SCALED_CHUNK_ENCODING) xorCut.scaled++;
        from = i + 1;
        e = new XorChunkEncoder(COMPACT_MAX_BYTES + 64);
      }
    }
    xorCut.samples += n;
    // Best-of-driven cuts.
    from = 0;
    while (from < n) {
      let lo = from + 1;
      let hi = Math.min(n, from + COMPACT_MAX_SAMPLES);
      if (bestChunk(s, from, hi).length > COMPACT_MAX_BYTES) {
        // Largest end whose chunk fits (sizes grow with the sample count).
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if (bestChunk(s, from, mid).length <= COMPACT_MAX_BYTES) lo = mid;
          else hi = mid - 1;
        }
        hi = lo;
      }
      const b = bestChunk(s, from, hi);
      bestCut.best += b.length;
      bestCut.bestChunks++;
      if (chunkEncoding(b) === SCALED_CHUNK_ENCODING) bestCut.scaled++;
      from = hi;
    }
    bestCut.samples += n;
    bestCut.xor = xorCut.xor;
    bestCut.xorChunks = xorCut.xorChunks;
  }
  const j = jitterMs > 0 ? `, jitter +-${jitterMs} ms` : '';
  report(`compaction 2048 samples / 3500 bytes, xor-cut${j}`, xorCut, new Map(), false);
  report(`compaction 2048 samples / 3500 bytes, best-cut${j}`, bestCut, new Map(), false);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Samples per second of `pass`: the median and the best of `rounds` timed passes. */
function rate(samples: number, pass: () => void): { median: number; best: number } {
  pass(); // warm up
  pass();
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    pass();
    results.push(samples / ((performance.now() - t0) / 1000));
  }
  return { median: median(results), best: Math.max(...results) };
}

const fmt = (x: { median: number; best: number }): string =>
  `${(x.median / 1e6).toFixed(1)} M samples/s (best round ${(x.best / 1e6).toFixed(1)} M)`;

fixedChunks(120, 0, '120 samples/chunk, aligned timestamps', true);
fixedChunks(120, 5, '120 samples/chunk, jittered timestamps (+-5 ms)', true);
fixedChunks(480, 0, '480 samples/chunk, aligned timestamps', false);
fixedChunks(2048, 0, '2048 samples/chunk, aligned timestamps', false);
compaction(0);
compaction(5);

// Speed on the aligned workload, 120-sample chunks.
{
  const N = 120;
  const d = workload(N, 0);
  const samples = d.series.length * N;
  const best = d.series.map((s) => bestChunk(s, 0, N));
  const xor = d.series.map((s) => xorChunk(s, 0, N));
  let sink = 0;
  const encodeRate = rate(samples, () => {
    for (const s of d.series) sink += encodeCompletedChunk(s.timestamps, s.values, N).length;
  });
  const transcodeRate = rate(samples, () => {
    for (const c of xor) sink += transcodeCompletedChunk(c).length;
  });
  const ts = new Float64Array(N);
  const vs = new Float64Array(N);
  const decodeBest = rate(samples, () => {
    for (const c of best) sink += decodeChunk(c, ts, vs);
  });
  const decodeXor = rate(samples, () => {
    for (const c of xor) sink += decodeXorChunk(c, ts, vs);
  });
  const scaledOnly = best.filter((c) => chunkEncoding(c) === SCALED_CHUNK_ENCODING);
  const decodeScaled = rate(scaledOnly.length * N, () => {
    for (const c of scaledOnly) sink += decodeChunk(c, ts, vs);
  });
  const it = new ChunkIterator(best[0]!);
  const iterRate = rate(samples, () => {
    let acc = 0;
    for (const c of best) {
      it.reset(c);
      while (it.next()) acc += it.timestampMs() + it.value();
    }
    sink += acc;
  });
  console.log(`encodeCompletedChunk (XOR + scaled, keep the smaller): ${fmt(encodeRate)}`);
  console.log(`transcodeCompletedChunk of the XOR chunks: ${fmt(transcodeRate)}`);
  console.log(`decodeChunk on the best-of mix: ${fmt(decodeBest)}`);
  console.log(`decodeChunk on the scaled chunks only: ${fmt(decodeScaled)}`);
  console.log(`decodeXorChunk on XOR-only chunks (before): ${fmt(decodeXor)}`);
  console.log(`ChunkIterator next/timestampMs/value on the best-of mix: ${fmt(iterRate)}`);
  if (sink === 0.5) console.log('');
}
