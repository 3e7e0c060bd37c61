/**
 * Scrape targets for the side-by-side benchmark, run as a child process:
 * `node targets.js <targets> <seriesPerTarget> <updateMs>`. Listens on one
 * loopback port per target, prints the ports as one JSON line on stdout,
 * and serves Prometheus text whose values move every `updateMs` the way a
 * node exporter's and an HTTP service's do:
 *
 * - 30% constant gauges (filesystem sizes, hardware info),
 * - 20% gauges that wander (memory bytes, load; integers and decimals),
 * - 30% counters with varying increments (CPU seconds to 2 decimals,
 *   network and disk bytes),
 * - 20% HTTP request-duration histogram buckets (integer counts that grow
 *   at different rates per bucket).
 *
 * Values derive from a seeded generator, so every run serves the same data.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';

const targets = Number(process.argv[2] ?? 100);
const seriesPerTarget = Number(process.argv[3] ?? 1000);
const updateMs = Number(process.argv[4] ?? 1000);

let seed = 0x9e3779b9;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const enum Kind {
  Constant,
  Wander,
  Counter,
  Bucket,
}

interface SeriesState {
  readonly line: string; // `name{labels} `
  readonly kind: Kind;
  value: number;
  /** Buckets: this bucket's own count; `value` is the cumulative count up to it. */
  own: number;
  /** Buckets: true for the first (smallest `le`) bucket of a histogram. */
  readonly first: boolean;
  readonly step: number; // typical change per update
  readonly decimals: number;
}

const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];

function buildTarget(index: number): SeriesState[] {
  const out: SeriesState[] = [];
  const n = seriesPerTarget;
  const constants = Math.round(n * 0.3);
  const wanders = Math.round(n * 0.2);
  const counters = Math.round(n * 0.3);
  for (let i = 0; i < constants; i++) {
    out.push({
      line: `node_filesystem_size_bytes{device="sd${i}",mountpoint="/mnt/${i}",fstype="ext4"} `,
      kind: Kind.Constant,
      value: Math.round(random() * 1e12),
      step: 0,
      decimals: 0,
      own: 0,
      first: false,
    });
  }
  for (let i = 0; i < wanders; i++) {
    const bytes = i % 2 === 0;
    out.push({
      line: bytes ? `node_memory_bytes{kind="k${i}"} ` : `node_load{cpu="${i}",window="1m"} `,
      kind: Kind.Wander,
      value: bytes ? Math.round(random() * 1e10) : random() * 4,
      step: bytes ? 4096 * 64 : 0.05,
      decimals: bytes ? 0 : 2,
      own: 0,
      first: false,
    });
  }
  for (let i = 0; i < counters; i++) {
    const cpu = i % 3 === 0;
    out.push({
      line: cpu
        ? `node_cpu_seconds_total{cpu="${i % 64}",mode="m${i}"} `
        : `node_network_receive_bytes_total{device="eth${i}"} `,
      kind: Kind.Counter,
      value: Math.round(random() * 1e6),
      step: cpu ? 0.5 : 20_000,
      decimals: cpu ? 2 : 0,
      own: 0,
      first: false,
    });
  }
  const rest = n - constants - wanders - counters;
  for (let i = 0; i < rest; i++) {
    const le = BUCKETS[i % BUCKETS.length]!;
    const series = Math.floor(i / BUCKETS.length);
    out.push({
      line: `http_request_duration_seconds_bucket{route="/api/r${series}",method="GET",le="${le}",target="${index}"} `,
      kind: Kind.Bucket,
      value: 0,
      step: 8 - Math.abs(4 - (i % BUCKETS.length)),
      decimals: 0,
      own: 0,
      first: i % BUCKETS.length === 0,
    });
  }
  return out;
}

function update(states: SeriesState[]): void {
  let cumulative = 0;
  for (const s of states) {
    if (s.kind === Kind.Wander) {
      s.value = Math.max(0, s.value + (random() - 0.5) * 2 * s.step);
    } else if (s.kind === Kind.Counter) {
      s.value += random() * s.step;
    } else if (s.kind === Kind.Bucket) {
      // Whole observations per bucket; the exposed value is cumulative over `le`.
      s.own += Math.floor(random() * s.step);
      cumulative = s.first ? s.own : cumulative + s.own;
      s.value = cumulative;
    }
  }
}

function render(states: SeriesState[]): string {
  let body = '';
  for (const s of states) {
    const v = s.decimals === 0 ? Math.round(s.value) : Number(s.value.toFixed(s.decimals));
    body += s.line + v + '\n';
  }
  return body;
}

const all = Array.from({ length: targets }, (_, i) => buildTarget(i));
const bodies = all.map(render);
setInterval(() => {
  for (let i = 0; i < all.length; i++) {
    update(all[i]!);
    bodies[i] = render(all[i]!);
  }
}, updateMs).unref();

const servers: Server[] = [];
const ports: number[] = [];
for (let i = 0; i < targets; i++) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(bodies[i]);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  ports.push(typeof address === 'object' && address !== null ? address.port : 0);
}
process.stdout.write(JSON.stringify(ports) + '\n');
process.on('SIGTERM', () => {
  for (const s of servers) s.close();
  process.exit(0);
});
