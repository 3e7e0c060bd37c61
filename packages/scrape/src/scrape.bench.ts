/**
 * Scrape-path microbenchmark: HTTP fetch over loopback + parse + relabel +
 * append into MemoryStorage, for one target exposing many series.
 *
 * Run: `node packages/scrape/dist/scrape.bench.js [series] [scrapes] [gzip]`
 * The exposition is rendered once and served from memory, so the figure is
 * the scraper's own cost (plus the loopback HTTP server's, in-process).
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { MemoryStorage } from '@vigil/storage';
import type { Appendable, Appender } from '@vigil/storage';
import { close, listen } from '@vigil/testing';
import { parseScrapeConfigs } from './config.js';
import { JobClient } from './http-scrape.js';
import { ScrapeLoop } from './scrape-loop.js';
import type { ScrapeLoopObserver } from './scrape-loop.js';
import { buildTargets } from './target.js';

const seriesWanted = Number(process.argv[2] ?? 20_000);
const scrapes = Number(process.argv[3] ?? 20);
const gzip = process.argv.includes('gzip');
/** `null`: append into a sink that only counts (the scraper's own cost, without a storage). */
const nullStorage = process.argv.includes('null');

function render(iteration: number): string {
  const lines: string[] = [];
  let n = 0;
  // node-exporter-like gauges and counters
  lines.push('# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.');
  lines.push('# TYPE node_cpu_seconds_total counter');
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  for (let cpu = 0; n < seriesWanted / 2; cpu++) {
    for (const mode of modes) {
      lines.push(
        `node_cpu_seconds_total{cpu="${cpu}",mode="${mode}"} ${(cpu * 1000 + iteration * 1.5).toFixed(2)}`,
      );
      n++;
    }
  }
  // HTTP-RED-like histograms
  lines.push('# HELP http_request_duration_seconds Request latency.');
  lines.push('# TYPE http_request_duration_seconds histogram');
  const les = [
    '0.005',
    '0.01',
    '0.025',
    '0.05',
    '0.1',
    '0.25',
    '0.5',
    '1',
    '2.5',
    '5',
    '10',
    '+Inf',
  ];
  for (let route = 0; n < seriesWanted; route++) {
    const labels = `method="GET",route="/api/v1/items/${route}",code="200"`;
    let c = 0;
    for (const le of les) {
      c += route + iteration;
      lines.push(`http_request_duration_seconds_bucket{${labels},le="${le}"} ${c}`);
    }
    lines.push(`http_request_duration_seconds_sum{${labels}} ${c * 0.1}`);
    lines.push(`http_request_duration_seconds_count{${labels}} ${c}`);
    n += les.length + 2;
  }
  return lines.join('\n') + '\n';
}

const bodies = [0, 1].map((i) => {
  const text = Buffer.from(render(i));
  return gzip ? gzipSync(text) : text;
});
let served = 0;
const server = createServer((_req, res) => {
  res.writeHead(200, {
    'content-type': 'text/plain; version=0.0.4',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  res.end(bodies[served++ % 2]);
});
const port = await listen(server);
const [config] = parseScrapeConfigs(
  [
    {
      job_name: 'bench',
      scrape_interval: '15s',
      static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { env: 'bench' } }],
      metric_relabel_configs: [{ regex: 'nothing_.*', action: 'labeldrop' }],
    },
  ],
  { source: 'bench' },
);
const target = buildTargets(config!).targets[0]!;
let appended = 0;
const countingAppender: Appender = {
  append: (ref) => {
    appended++;
    return ref === 0 ? appended : ref;
  },
  commit: () => Promise.resolve(),
  rollback: () => undefined,
};
const storage: Appendable = nullStorage
  ? { appender: () => countingAppender }
  : new MemoryStorage();
const client = new JobClient(config!, 'bench');
const observer: ScrapeLoopObserver = { scraped: () => undefined, rejected: () => undefined };
const loop = new ScrapeLoop(target, config!, 'bench', {
  appendable: storage,
  client,
  observer,
  logger: undefined,
  offsetMs: 0,
});

let t = 1_700_000_000_000;
// Warm-up: the first scrape builds the series cache and creates series.
const w0 = performance.now();
await loop.scrapeAt((t += 15_000));
const firstMs = performance.now() - w0;
const samples = loop.lastSamplesScraped;
if (loop.health !== 'up') throw new Error(loop.lastError);
const start = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < scrapes; i++) await loop.scrapeAt((t += 15_000));
const elapsed = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
if (loop.health !== 'up') throw new Error(loop.lastError);
const total = samples * scrapes;
console.log(
  `scrape path into ${nullStorage ? 'a counting appender' : 'MemoryStorage'} (${gzip ? 'gzip' : 'plain'}, ${samples} samples/scrape, ${(bodies[0]!.length / 1024).toFixed(0)} KiB body): ` +
    `first scrape ${firstMs.toFixed(0)} ms; steady ${(elapsed / scrapes).toFixed(1)} ms/scrape, ` +
    `${Math.round(total / (elapsed / 1000)).toLocaleString('en')} samples/s wall, ` +
    `${Math.round(total / ((cpu.user + cpu.system) / 1e6)).toLocaleString('en')} samples/s per CPU second (server included)`,
);
await loop.stop(false);
client.close();
await close(server);
