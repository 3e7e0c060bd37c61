// The exposition checked by the real peers: Debian's `promtool check metrics`
// (text format; promtool 2.42 cannot read OpenMetrics) and a real Prometheus
// server that scrapes our handler, negotiates OpenMetrics and stores exemplars.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  requireTool,
  runWithInput,
  startPrometheus,
  waitFor,
  type PrometheusPeer,
} from '@vigil/testing';
import { Counter } from './counter.js';
import { Gauge } from './gauge.js';
import { Histogram } from './histogram.js';
import { Registry } from './registry.js';
import { metricsHandler } from './http.js';

const HOSTILE_VALUES = [
  '',
  'plain',
  'quote"inside',
  'back\\slash',
  'new\nline',
  'tab\there',
  'unicode ✓ ü 日本',
  '{braces},=commas',
  '# not a comment',
  '\\n literal',
  'emoji 🚀',
];

/** A registry that exercises every escaping rule and every metric type. */
function hostileRegistry(): Registry {
  const registry = new Registry({ defaultLabels: { service: 'interop "svc"' } });
  const c = new Counter({
    name: 'interop_requests_total',
    help: 'Help with "quotes", a backslash \\ and a\nnewline.',
    labelNames: ['value', 'status'],
    registry,
  });
  const g = new Gauge({
    name: 'interop_temperature_celsius',
    help: 'Temperature.',
    labelNames: ['value'],
    registry,
    unit: 'celsius',
  });
  const h = new Histogram({
    name: 'interop_duration_seconds',
    help: 'Durations.',
    labelNames: ['value'],
    buckets: [0.001, 0.5, 1, 1000000, 1e21],
    registry,
  });
  HOSTILE_VALUES.forEach((value, i) => {
    c.inc({ value, status: 200 + i }, i + 0.5, { trace_id: `trace${i}` });
    g.set({ value }, i % 3 === 0 ? NaN : i % 3 === 1 ? -Infinity : -i * 1.5e-7);
    h.observe({ value }, i / 3, { trace_id: `trace${i}`, span_id: 'abc' });
  });
  new Gauge({ name: 'interop_unlabelled', help: 'x', registry }).set(1e300);
  new Counter({ name: 'interop_never_used_total', help: 'x', labelNames: ['a'], registry });
  return registry;
}

describe('promtool check metrics', () => {
  test('accepts the text exposition of hostile metrics', async (t) => {
    const promtool = requireTool('promtool', 'prometheus', (m) => t.skip(m));
    if (promtool === undefined) return;
    const text = await hostileRegistry().metrics({ format: 'text' });
    const result = await runWithInput(promtool, ['check', 'metrics'], text);
    assert.equal(
      result.status,
      0,
      `promtool said:\n${result.stdout}${result.stderr}\n--- input:\n${text}`,
    );
  });
});

describe('a real Prometheus scrapes the SDK', () => {
  let server: Server;
  let prometheus: PrometheusPeer | undefined;
  let skipped: string | undefined;

  before(async () => {
    const binary = requireTool('prometheus', 'prometheus', (m) => (skipped = m));
    if (binary === undefined) return;
    const registry = hostileRegistry();
    server = createServer(metricsHandler(registry));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    prometheus = await startPrometheus(
      binary,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: sdk',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${port}']`,
      ].join('\n'),
      { features: ['exemplar-storage'] },
    );
  });

  after(async () => {
    await prometheus?.stop();
    server?.close();
  });

  async function query(
    expr: string,
  ): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; data: { result: never[] } };
    assert.equal(body.status, 'success');
    return body.data.result;
  }

  test('the target is up, scraped with OpenMetrics, without errors', async (t) => {
    if (skipped) return t.skip(skipped);
    const target = await waitFor('a successful scrape', async () => {
      const res = await fetch(`${prometheus!.url}/api/v1/targets`);
      const body = (await res.json()) as {
        data: { activeTargets: Array<{ health: string; lastError: string }> };
      };
      const t0 = body.data.activeTargets[0];
      return t0 && t0.health !== 'unknown' ? t0 : undefined;
    });
    assert.equal(target.lastError, '', prometheus!.logs());
    assert.equal(target.health, 'up');
  });

  test('every hostile label value arrives intact', async (t) => {
    if (skipped) return t.skip(skipped);
    const series = await waitFor('the counter series', async () => {
      const result = await query('interop_requests_total');
      return result.length === HOSTILE_VALUES.length ? result : undefined;
    });
    // Prometheus drops labels with empty values, as it should.
    const values = series.map((s) => s.metric.value ?? '').sort();
    assert.deepEqual(values, [...HOSTILE_VALUES].sort());
    for (const s of series) assert.equal(s.metric.service, 'interop "svc"');
    const quote = series.find((s) => s.metric.value === 'quote"inside')!;
    assert.equal(quote.value[1], String(HOSTILE_VALUES.indexOf('quote"inside') + 0.5));
  });

  test('histograms work with histogram_quantile, and special floats survive', async (t) => {
    if (skipped) return t.skip(skipped);
    const q = await waitFor('the quantile', async () => {
      const result = await query(
        'histogram_quantile(0.5, sum by (le) (interop_duration_seconds_bucket))',
      );
      return result.length === 1 ? result : undefined;
    });
    assert.ok(Number(q[0]!.value[1]) > 0);
    const nan = await query('interop_temperature_celsius{value=""}');
    assert.equal(nan[0]?.value[1], 'NaN');
    const big = await query('interop_unlabelled');
    assert.equal(Number(big[0]?.value[1]), 1e300);
  });

  test('exemplars carry the trace id into Prometheus', async (t) => {
    if (skipped) return t.skip(skipped);
    const exemplars = await waitFor('exemplars', async () => {
      const end = Date.now() / 1000 + 60;
      const res = await fetch(
        `${prometheus!.url}/api/v1/query_exemplars?query=${encodeURIComponent('interop_requests_total')}&start=${end - 600}&end=${end}`,
      );
      const body = (await res.json()) as {
        data: Array<{ exemplars: Array<{ labels: Record<string, string>; value: string }> }>;
      };
      return body.data.length > 0 ? body.data : undefined;
    });
    const traceIds = exemplars.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id));
    assert.ok(traceIds.includes('trace3'), JSON.stringify(exemplars));
  });
});
