/**
 * Vigil's server against Debian's Prometheus, side by side in one run:
 * both scrape the same targets (default 100 targets × 1,000 series at a 1 s
 * interval, so that chunks fill within minutes rather than the 30 minutes a
 * 15 s interval would take) for the same wall time. Reported per server:
 * CPU seconds (user + system, from /proc), peak RSS (VmHWM), bytes on disk
 * (the data directory, while running and after a clean shutdown), samples
 * ingested (each server's own counter), and from those the scrape path's
 * samples per CPU-second and bytes per sample.
 *
 * Environment: VIGIL_BENCH_SBS_TARGETS, VIGIL_BENCH_SBS_SERIES,
 * VIGIL_BENCH_SBS_INTERVAL_MS, VIGIL_BENCH_SBS_DURATION_S (default 150).
 * Needs `prometheus` on PATH (Debian's package) and a built apps/server.
 *
 * Run: `node bench/dist/side-by-side.bench.js` (or `npm run bench`).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@vigil/testing';
import { fmt, higherIsBetter, report, reported } from './harness.js';
import type { Comparison } from './harness.js';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..', '..');
const TARGETS = Number(process.env.VIGIL_BENCH_SBS_TARGETS ?? 100);
const SERIES = Number(process.env.VIGIL_BENCH_SBS_SERIES ?? 1000);
const INTERVAL_MS = Number(process.env.VIGIL_BENCH_SBS_INTERVAL_MS ?? 1000);
const DURATION_S = Number(process.env.VIGIL_BENCH_SBS_DURATION_S ?? 150);
const CLOCK_TICKS = Number(
  spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100,
);

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime
}

function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}

function diskBytes(dir: string): number {
  const out = spawnSync('du', ['-sb', dir], { encoding: 'utf8' }).stdout;
  return Number(out.split('\t')[0]);
}

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + ' ') || line.startsWith(name + '{')) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      found = true;
    }
  }
  if (!found) throw new Error(`${url} has no metric ${name}`);
  return sum;
}

async function waitReady(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`${what} did not become ready at ${url}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

interface Measured {
  cpuSeconds: number;
  peakRssBytes: number;
  diskBytesRunning: number;
  diskBytesStopped: number;
  samples: number;
}

const which = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim();
if (which === '') {
  console.error('side-by-side: `prometheus` is not on PATH (apt-get install prometheus); skipped.');
  process.exit(0);
}
const promVersion = /version (\S+)/.exec(
  spawnSync(which, ['--version'], { encoding: 'utf8' }).stdout,
)?.[1];

const work = mkdtempSync(join(tmpdir(), 'vigil-sbs-'));
const targets = spawn(
  process.execPath,
  [join(here, 'scrape', 'targets.js'), String(TARGETS), String(SERIES), String(INTERVAL_MS)],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const firstLine = await new Promise<string>((resolve) =>
  createInterface({ input: targets.stdout }).once('line', resolve),
);
const ports = JSON.parse(firstLine) as number[];
const targetList = ports.map((p) => `'127.0.0.1:${p}'`).join(', ');
const seconds = `${INTERVAL_MS / 1000}s`;
const scrapeConfigs = `scrape_configs:
  - job_name: bench
    scrape_interval: ${seconds}
    scrape_timeout: ${seconds}
    static_configs:
      - targets: [${targetList}]
`;

const promPort = await freePort();
const promDir = join(work, 'prometheus');
writeFileSync(
  join(work, 'prometheus.yml'),
  `global:\n  scrape_interval: ${seconds}\n${scrapeConfigs}`,
);
const prometheus = spawn(
  which,
  [
    `--config.file=${join(work, 'prometheus.yml')}`,
    `--storage.tsdb.path=${promDir}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ],
  { stdio: 'ignore' },
);

const vigilPort = await freePort();
const vigilDir = join(work, 'vigil');
writeFileSync(
  join(work, 'vigil.yml'),
  `global:\n  scrape_interval: ${seconds}\nstorage:\n  path: ${vigilDir}\nserver:\n  listen: 127.0.0.1:${vigilPort}\n${scrapeConfigs}`,
);
const vigil = spawn(
  process.execPath,
  [join(root, 'apps', 'server', 'dist', 'cli.js'), 'server', '--config', join(work, 'vigil.yml')],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);

const results: Comparison[] = [];
try {
  await waitReady(`http://127.0.0.1:${promPort}/-/ready`, prometheus, 'prometheus');
  await waitReady(`http://127.0.0.1:${vigilPort}/-/ready`, vigil, 'vigil server');
  console.log(
    `side-by-side: ${TARGETS} targets × ${SERIES} series every ${seconds}, ${DURATION_S} s; ` +
      `prometheus ${promVersion} pid ${prometheus.pid}, vigil pid ${vigil.pid}`,
  );
  const cpuStart = { prom: cpuSeconds(prometheus.pid!), vigil: cpuSeconds(vigil.pid!) };
  const startedAt = Date.now();
  while (Date.now() - startedAt < DURATION_S * 1000) {
    await sleep(10_000);
    const elapsed = Math.round((Date.now() - startedAt) / 1000);
    console.log(
      `  ${elapsed} s: cpu prometheus ${fmt(cpuSeconds(prometheus.pid!) - cpuStart.prom)} s, ` +
        `vigil ${fmt(cpuSeconds(vigil.pid!) - cpuStart.vigil)} s`,
    );
  }
  const measure = async (
    child: ChildProcess,
    dir: string,
    metricsUrl: string,
    samplesMetric: string,
    cpu0: number,
  ): Promise<Measured> => ({
    cpuSeconds: cpuSeconds(child.pid!) - cpu0,
    peakRssBytes: peakRssBytes(child.pid!),
    diskBytesRunning: diskBytes(dir),
    diskBytesStopped: NaN,
    samples: await metricValue(metricsUrl, samplesMetric),
  });
  const prom = await measure(
    prometheus,
    promDir,
    `http://127.0.0.1:${promPort}/metrics`,
    'prometheus_tsdb_head_samples_appended_total',
    cpuStart.prom,
  );
  const ours = await measure(
    vigil,
    vigilDir,
    `http://127.0.0.1:${vigilPort}/metrics`,
    'vigil_tsdb_samples_appended_total',
    cpuStart.vigil,
  );
  await Promise.all([stop(prometheus), stop(vigil)]);
  prom.diskBytesStopped = diskBytes(promDir);
  ours.diskBytesStopped = diskBytes(vigilDir);
  console.log('prometheus', prom);
  console.log('vigil', ours);

  const peerName = `Prometheus ${promVersion ?? ''}`.trim();
  const base = { suite: 'side-by-side', peerName };
  const perMillion = (m: Measured): number => (m.cpuSeconds / m.samples) * 1e6;
  results.push(
    reported(
      {
        ...base,
        name: `CPU per million samples scraped and stored (${TARGETS}×${SERIES} series, ${seconds})`,
        unit: 'CPU s',
        vigil: perMillion(ours),
        peer: perMillion(prom),
        notes: `CPU s over ${DURATION_S} s: Vigil ${fmt(ours.cpuSeconds)}, Prometheus ${fmt(prom.cpuSeconds)}; samples ${ours.samples} / ${prom.samples}`,
      },
      true,
    ),
    higherIsBetter(
      {
        ...base,
        name: 'scrape path (fetch + parse + append), samples per CPU-second',
        unit: 'samples/s',
        vigil: ours.samples / ours.cpuSeconds,
        peer: 200_000,
        peerName: 'target 200k/s per core',
        notes: `Prometheus in the same run: ${fmt(prom.samples / prom.cpuSeconds)} samples/s`,
      },
      1,
    ),
    reported(
      {
        ...base,
        name: 'peak RSS',
        unit: 'MiB',
        vigil: ours.peakRssBytes / 2 ** 20,
        peer: prom.peakRssBytes / 2 ** 20,
        notes: `${fmt(ours.peakRssBytes / (TARGETS * SERIES))} B per series for Vigil (whole process)`,
      },
      true,
    ),
    reported(
      {
        ...base,
        name: 'bytes on disk per sample, running',
        unit: 'B',
        vigil: ours.diskBytesRunning / ours.samples,
        peer: prom.diskBytesRunning / prom.samples,
        notes: `Vigil ${fmt(ours.diskBytesRunning / 2 ** 20)} MiB, Prometheus ${fmt(prom.diskBytesRunning / 2 ** 20)} MiB (WAL + head chunks; no block compacted yet)`,
      },
      true,
    ),
    reported(
      {
        ...base,
        name: 'bytes on disk per sample, after shutdown',
        unit: 'B',
        vigil: ours.diskBytesStopped / ours.samples,
        peer: prom.diskBytesStopped / prom.samples,
        notes: `Vigil ${fmt(ours.diskBytesStopped / 2 ** 20)} MiB, Prometheus ${fmt(prom.diskBytesStopped / 2 ** 20)} MiB`,
      },
      true,
    ),
  );
} finally {
  await Promise.all([stop(prometheus), stop(vigil)]);
  targets.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
report('side-by-side', results);
