// XOR chunk figures: bytes per sample on the realistic scrape workload
// (aligned and jittered timestamps) and encode/decode speed. For completed
// chunks in the best of XOR and scaled integer, see chunk.bench.ts.
//
//   npx tsc -b packages/tsdb && node packages/tsdb/dist/chunkenc/xor.bench.js [targets] [rounds]
//
// `targets` node-exporter-like plus as many HTTP-RED-like targets (default
// 5 + 5, about 4 000 series), 120 samples per series = one full chunk each.
// Speeds are the median over `rounds` (default 7) of one pass over all
// chunks; a pass encodes, bulk-decodes or iterates every chunk once. The
// machine may be shared: the best round is closer to the code's own speed.
import { performance } from 'node:perf_hooks';
import { ScrapeWorkload } from './workload.js';
import {
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkEncoder,
  XorChunkIterator,
  decodeXorChunk,
} from './xor.js';

const targets = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 7);
const N = XOR_CHUNK_TARGET_SAMPLES;

interface Data {
  readonly series: { timestamps: Float64Array; values: Float64Array }[];
  readonly jobs: string[];
}

function workload(jitterMs: number): Data {
  const w = new ScrapeWorkload({ seed: 42, nodeTargets: targets, httpTargets: targets, jitterMs });
  const jobs = w.series.map((s) => s.labels[s.labels.indexOf('job') + 1]!);
  return { series: w.samplesPerSeries(N), jobs };
}

function encodeAll(d: Data): Uint8Array[] {
  return d.series.map((s) => {
    const e = new XorChunkEncoder();
    for (let i = 0; i < N; i++) e.append(s.timestamps[i]!, s.values[i]!);
    return e.bytes();
  });
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

for (const [label, jitter] of [
  ['aligned timestamps', 0],
  ['jittered timestamps (+-5 ms)', 5],
] as const) {
  const d = workload(jitter);
  const chunks = encodeAll(d);
  const byJob = new Map<string, { bytes: number; samples: number }>();
  let bytes = 0;
  chunks.forEach((c, i) => {
    bytes += c.length;
    const job = d.jobs[i]!;
    const acc = byJob.get(job) ?? { bytes: 0, samples: 0 };
    acc.bytes += c.length;
    acc.samples += N;
    byJob.set(job, acc);
  });
  const samples = chunks.length * N;
  const parts = [...byJob].map(([job, a]) => `${job} ${(a.bytes / a.samples).toFixed(3)}`);
  console.log(
    `${label}: ${chunks.length} series x ${N} samples: ${(bytes / samples).toFixed(3)} bytes/sample (${parts.join(', ')})`,
  );
}

// Speed on the aligned workload.
const d = workload(0);
const chunks = encodeAll(d);
const samples = chunks.length * N;
let sink = 0;
const encodeRate = rate(samples, () => {
  for (const s of d.series) {
    const e = new XorChunkEncoder();
    const ts = s.timestamps;
    const vs = s.values;
    for (let i = 0; i < N; i++) e.append(ts[i]!, vs[i]!);
    sink += e.bytes().length;
  }
});
const ts = new Float64Array(N);
const vs = new Float64Array(N);
const decodeRate = rate(samples, () => {
  for (const c of chunks) sink += decodeXorChunk(c, ts, vs);
});
const it = new XorChunkIterator(chunks[0]!);
const iterRate = rate(samples, () => {
  let acc = 0;
  for (const c of chunks) {
    it.reset(c);
    while (it.next()) acc += it.timestampMs() + it.value();
  }
  sink += acc;
});
console.log(`encode (append ${N} samples per chunk + bytes()): ${fmt(encodeRate)}`);
console.log(`decodeXorChunk: ${fmt(decodeRate)}`);
console.log(`XorChunkIterator next/timestampMs/value: ${fmt(iterRate)}`);
if (sink === 0.5) console.log('');
