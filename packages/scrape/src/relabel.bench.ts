/**
 * Relabelling microbenchmark: a typical metric_relabel_configs list applied
 * to node-exporter-like label sets.
 *
 * Run: `node packages/scrape/dist/relabel.bench.js [label sets]`
 */
import { performance } from 'node:perf_hooks';
import { LabelsBuilder } from './labels-builder.js';
import { compileRelabelConfigs, relabelBuilder } from './relabel.js';

const n = Number(process.argv[2] ?? 200_000);
const rules = compileRelabelConfigs([
  { source_labels: ['__name__'], regex: 'go_gc_.*|process_.*', action: 'drop' },
  { regex: 'pod_template_hash|tmp_.*', action: 'labeldrop' },
  { source_labels: ['instance'], regex: '([^:]+):\\d+', target_label: 'host', replacement: '$1' },
  { source_labels: ['mode'], target_label: 'mode', action: 'lowercase' },
]);
const sets: string[][] = [];
for (let i = 0; i < 1000; i++) {
  sets.push([
    '__name__',
    'node_cpu_seconds_total',
    'cpu',
    String(i % 64),
    'mode',
    i % 2 === 0 ? 'IDLE' : 'user',
    'instance',
    `host-${i % 50}.example:9100`,
    'job',
    'node',
    'tmp_x',
    'y',
  ]);
}
const lb = new LabelsBuilder();
let kept = 0;
const start = performance.now();
for (let i = 0; i < n; i++) {
  lb.reset(sets[i % sets.length]!);
  if (relabelBuilder(lb, rules)) {
    lb.labels();
    kept++;
  }
}
const ms = performance.now() - start;
console.log(
  `relabel: ${rules.length} rules, ${n} label sets of 6 labels in ${ms.toFixed(0)} ms: ` +
    `${Math.round(n / (ms / 1000)).toLocaleString('en')} label sets/s (${kept} kept)`,
);
