// Added cost of the outgoing HTTP instrumentation per request on loopback:
// sequential requests to a keep-alive node:http server, timed one by one.
// Every round runs a short block of each mode, in rotated order; a mode's
// added cost is the median, over rounds, of its block median minus the
// uninstrumented block median of the same round. Pairing blocks that ran
// seconds apart cancels most of the drift of a shared, busy machine.
//
//   npx tsc -b && node packages/sdk/dist/tracing/outgoing.bench.js [requestsPerBlock] [rounds]
//
// Tracing is the real SDK: BasicTracerProvider, BatchSpanProcessor (to an
// exporter that discards), AsyncLocalStorage context, Vigil's propagator.
// "span by hand" does the same work without the instrumentation (start a
// CLIENT span, inject into the request's headers, end it): the difference
// between it and "traced" is the cost of the hooks themselves.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { instrumentOutgoingHttp } from './outgoing.js';
import type { OutgoingHttpHandle } from './outgoing.js';
import { VigilTraceContextPropagator } from './trace-context.js';
import { withSpan } from './with-span.js';

const perBlock = Number(process.argv[2] ?? 50);
const rounds = Number(process.argv[3] ?? 100);

let exported = 0;
const discard: SpanExporter = {
  export: (spans, done) => {
    exported += spans.length;
    done({ code: ExportResultCode.SUCCESS });
  },
  shutdown: () => Promise.resolve(),
};
const provider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(discard, { maxQueueSize: 65_536 })],
});
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new VigilTraceContextPropagator());

const server = http.createServer((req, res) => {
  req.resume();
  res.end('ok');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/users?id=42`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function viaFetch(headers?: Record<string, string>): Promise<number> {
  return fetch(url, headers === undefined ? undefined : { headers }).then(async (r) => {
    await r.text();
    return r.status;
  });
}
function viaHttp(headers?: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, ...(headers === undefined ? {} : { headers }) }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/**
 * What the instrumentation does, written by hand around an uninstrumented
 * call: the cost of one more span and its headers, whoever makes them.
 */
async function byHand(send: (h: Record<string, string>) => Promise<number>): Promise<unknown> {
  const parent = context.active();
  const span = trace.getTracer('bench').startSpan(
    'GET',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': 1,
        'url.full': url,
      },
    },
    parent,
  );
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), headers);
  const status = await send(headers);
  span.setAttribute('http.response.status_code', status);
  span.end();
  return status;
}

interface Mode {
  readonly name: string;
  readonly client: 'fetch' | 'http';
  readonly instrumented: boolean;
  readonly activeSpan: boolean;
  readonly byHand?: boolean;
}
const modes: Mode[] = [];
for (const client of ['fetch', 'http'] as const) {
  modes.push({ name: `${client} plain, in a span`, client, instrumented: false, activeSpan: true });
  modes.push({ name: `${client} traced, in a span`, client, instrumented: true, activeSpan: true });
  modes.push({ name: `${client} traced, no span`, client, instrumented: true, activeSpan: false });
  modes.push({
    name: `${client} span by hand`,
    client,
    instrumented: false,
    activeSpan: true,
    byHand: true,
  });
}
/** Per mode, per round: the median latency of the block (ms) and its CPU time per request (ms). */
const blockMedians = new Map<string, number[]>(modes.map((m) => [m.name, []]));
const blockCpu = new Map<string, number[]>(modes.map((m) => [m.name, []]));

async function run(mode: Mode, n: number, record: boolean): Promise<void> {
  const send = mode.client === 'fetch' ? viaFetch : viaHttp;
  const call = mode.byHand === true ? () => byHand(send) : () => send();
  const times: number[] = [];
  const loop = async (): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await call();
      times.push(performance.now() - t0);
    }
  };
  const cpu0 = process.cpuUsage();
  if (mode.activeSpan) await withSpan('caller', loop);
  else await loop();
  const cpu = process.cpuUsage(cpu0);
  if (!record) return;
  blockMedians.get(mode.name)!.push(median(times));
  blockCpu.get(mode.name)!.push((cpu.user + cpu.system) / 1000 / n);
}

function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

let handle: OutgoingHttpHandle | undefined;
function setInstrumented(on: boolean): void {
  if (on && handle === undefined) handle = instrumentOutgoingHttp();
  if (!on && handle !== undefined) {
    handle.uninstall();
    handle = undefined;
  }
}

// Warm-up: JIT, connections, every code path.
for (const m of modes) {
  setInstrumented(m.instrumented);
  await run(m, 300, false);
}
for (let r = 0; r < rounds; r++) {
  // Rotate the order each round.
  const order = modes.map((_, i) => modes[(i + r) % modes.length]!);
  for (const m of order) {
    setInstrumented(m.instrumented);
    await run(m, perBlock, true);
  }
}
setInstrumented(false);

const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
console.log(
  `Node ${process.version}, ${rounds} rounds x ${perBlock} requests per mode, sequential, keep-alive`,
);
console.log(
  'mode                     latency median   added (median of paired diffs, IQR)   CPU added',
);
for (const client of ['fetch', 'http'] as const) {
  const baseName = `${client} plain, in a span`;
  const base = blockMedians.get(baseName)!;
  const baseCpu = blockCpu.get(baseName)!;
  for (const m of modes.filter((x) => x.client === client)) {
    const xs = blockMedians.get(m.name)!;
    const line = `${m.name.padEnd(24)} ${us(median(xs)).padStart(10)}`;
    if (m.name === baseName) {
      console.log(line);
      continue;
    }
    const diffs = xs.map((x, i) => x - base[i]!);
    const cpuDiffs = blockCpu.get(m.name)!.map((x, i) => x - baseCpu[i]!);
    console.log(
      `${line}   ${us(median(diffs)).padStart(9)} (${us(quantile(diffs, 0.25))} .. ${us(quantile(diffs, 0.75))})` +
        `   ${us(median(cpuDiffs)).padStart(9)}`,
    );
  }
}
await provider.forceFlush();
console.log(`spans exported: ${exported}`);
agent.destroy();
await provider.shutdown();
server.close();
