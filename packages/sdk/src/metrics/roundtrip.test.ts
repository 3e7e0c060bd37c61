// The SDK's serialiser and the exposition parser agree on every character:
// whatever a registry writes, in either format, parses back to the same
// families, label values, numbers and exemplars.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExposition, type ExpositionFamily, type LabelPairs } from '@vigil/exposition';
import { Counter } from './counter.js';
import { Gauge } from './gauge.js';
import { Histogram } from './histogram.js';
import { Registry } from './registry.js';

const VALUES = [
  '',
  'plain',
  'q"uote',
  'back\\slash',
  'new\nline',
  '✓ ü 日本 🚀',
  '\\n',
  '{x},=y',
  '#',
];
const HELP = 'Help with "quotes", \\ backslash\nand a newline.';
const NUMBERS = [
  0,
  -0,
  1,
  -1.5,
  0.1,
  1e-300,
  1e300,
  123456789012345680000,
  NaN,
  Infinity,
  -Infinity,
];

function build(): Registry {
  const registry = new Registry({ defaultLabels: { instance: 'a"b' } });
  const c = new Counter({ name: 'rt_events_total', help: HELP, labelNames: ['v'], registry });
  const g = new Gauge({ name: 'rt_level', help: HELP, labelNames: ['v', 'n'], registry });
  const h = new Histogram({
    name: 'rt_size_bytes',
    help: HELP,
    labelNames: ['v'],
    buckets: [0.5, 1, 1e6],
    registry,
    unit: 'bytes',
  });
  VALUES.forEach((v, i) => {
    c.inc({ v }, i + 0.25, { trace_id: `t${i}`, note: v.slice(0, 5) });
    h.observe({ v }, i * 0.4, { trace_id: `t${i}` });
  });
  NUMBERS.forEach((n, i) => g.set({ v: VALUES[i % VALUES.length]!, n: String(i) }, n));
  return registry;
}

function labelsOf(pairs: LabelPairs): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!;
  return out;
}

function family(families: ExpositionFamily[], name: string): ExpositionFamily {
  const found = families.find((f) => f.name === name);
  assert.ok(found, `family ${name} in ${families.map((f) => f.name).join(', ')}`);
  return found;
}

for (const format of ['text', 'openmetrics'] as const) {
  test(`${format}: the registry's output parses back exactly`, async () => {
    const families = parseExposition(await build().metrics({ format }), format);
    const counter = family(families, format === 'openmetrics' ? 'rt_events' : 'rt_events_total');
    assert.equal(counter.type, 'counter');
    assert.equal(counter.help, HELP);
    const totals = counter.samples.filter((s) => s.name === 'rt_events_total');
    assert.deepEqual(
      totals.map((s) => labelsOf(s.labels).v),
      VALUES,
    );
    totals.forEach((s, i) => {
      assert.equal(s.value, i + 0.25);
      assert.equal(labelsOf(s.labels).instance, 'a"b');
      if (format === 'openmetrics') {
        assert.deepEqual(labelsOf(s.exemplar!.labels), {
          trace_id: `t${i}`,
          note: VALUES[i]!.slice(0, 5),
        });
        assert.equal(s.exemplar!.value, i + 0.25);
        assert.ok(Math.abs(s.exemplar!.timestampMs! - Date.now()) < 60_000);
      } else {
        assert.equal(s.exemplar, undefined);
      }
    });
    if (format === 'openmetrics') {
      assert.equal(
        counter.samples.filter((s) => s.name === 'rt_events_created').length,
        VALUES.length,
      );
    }

    const gauge = family(families, 'rt_level');
    assert.equal(gauge.type, 'gauge');
    const byIndex = new Map(gauge.samples.map((s) => [Number(labelsOf(s.labels).n), s.value]));
    NUMBERS.forEach((n, i) => {
      const got = byIndex.get(i);
      if (Number.isNaN(n)) assert.ok(Number.isNaN(got), `NaN at ${i}`);
      else assert.equal(got, n === 0 ? 0 : n, `number ${i}`); // -0 is written as 0
    });

    const histogram = family(families, 'rt_size_bytes');
    assert.equal(histogram.type, 'histogram');
    if (format === 'openmetrics') assert.equal(histogram.unit, 'bytes');
    const bucketsOfLast = histogram.samples.filter(
      (s) => s.name === 'rt_size_bytes_bucket' && labelsOf(s.labels).v === VALUES.at(-1),
    );
    assert.deepEqual(
      bucketsOfLast.map((s) => [labelsOf(s.labels).le, s.value]),
      format === 'openmetrics'
        ? [
            ['0.5', 0],
            ['1.0', 0],
            ['1e+06', 1],
            ['+Inf', 1],
          ]
        : [
            ['0.5', 0],
            ['1', 0],
            ['1e+06', 1],
            ['+Inf', 1],
          ],
    );
  });
}
