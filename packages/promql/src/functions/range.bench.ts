// Microbenchmark of the range functions over sliding 20-sample windows
// (5m at a 15s interval) of one long series: ns per window.
// Run: node packages/promql/dist/functions/range.bench.js
import { Annotations } from '../annotations.js';
import type { Call } from '../parser/ast.js';
import { FUNCTIONS } from './index.js';
import type { FunctionContext, SampleWindow } from './types.js';

const n = 500_000;
const width = 20;
const ts = new Float64Array(n);
const vs = new Float64Array(n);
for (let i = 0; i < n; i++) {
  ts[i] = i * 15_000;
  vs[i] = i * 1.5 + (i % 7);
}
const call: Call = {
  type: 'Call',
  func: {
    name: 'f',
    argTypes: [],
    minArgs: 0,
    maxArgs: 0,
    returnType: 'vector',
    experimental: false,
  },
  args: [{ type: 'NumberLiteral', value: 0, pos: { start: 0, end: 1 } }],
  pos: { start: 0, end: 1 },
};
const ctx: FunctionContext = { timeMs: n * 15_000, annotations: new Annotations(), call };
const names = [
  'rate',
  'irate',
  'delta',
  'sum_over_time',
  'avg_over_time',
  'max_over_time',
  'stddev_over_time',
  'deriv',
  'quantile_over_time',
  'changes',
];
for (const name of names) {
  const f = FUNCTIONS.get(name);
  if (f?.kind !== 'range') throw new Error(name);
  let acc = 0;
  const start = performance.now();
  for (let to = width; to <= n; to++) {
    const w: SampleWindow = {
      labels: ['__name__', 'x_total'],
      timestampsMs: ts,
      values: vs,
      from: to - width,
      to,
      rangeStartMs: ts[to - width]! - 1,
      rangeEndMs: ts[to - 1]!,
    };
    acc += f.compute(w, [0.9], ctx) ?? 0;
  }
  const nsPerWindow = ((performance.now() - start) / (n - width + 1)) * 1e6;
  console.log(
    `${name.padEnd(20)} ${nsPerWindow.toFixed(0).padStart(6)} ns/window  (checksum ${acc.toPrecision(6)})`,
  );
}
