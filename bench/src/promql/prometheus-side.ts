/**
 * The Prometheus half of the PromQL side-by-side benchmark: writes the data
 * set as OpenMetrics text (one file per 2-hour block window, streamed to
 * disk), loads each file with `promtool tsdb create-blocks-from openmetrics`
 * into a Prometheus data directory, and starts Debian's `prometheus` on it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@vigil/testing';
import { formatSeconds } from './dataset.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import type { Dataset } from './dataset.js';

/** Prometheus's block length, which `create-blocks-from` also cuts at, ms. */
export const BLOCK_MS = 2 * 3_600_000;

/** Path of a tool on PATH, or undefined. */
export function which(tool: string): string | undefined {
  const out = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  return out === '' ? undefined : out;
}

/** `prometheus --version`'s version, e.g. "2.42.0+ds". */
export function prometheusVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(out.stdout + out.stderr)?.[1] ?? 'unknown';
}

/**
 * Writes the samples of `dataset` with timestamps in `[fromMs, toMs)` as an
 * OpenMetrics file (series grouped by metric name, each series' samples in
 * time order, `# EOF` last), through a 4 MiB buffer, so the text (about
 * 1.6 GB for the full data set) is never held whole. Returns the bytes
 * written.
 */
export function writeOpenMetrics(
  dataset: Dataset,
  fromMs: number,
  toMs: number,
  file: string,
): number {
  const { series, values, timestampsMs, samplesPerSeries: n } = dataset;
  const instances = dataset.instanceNames.length;
  // The scrapes of each target that fall in the window, and their texts.
  const first = new Int32Array(instances);
  const last = new Int32Array(instances);
  const tsText: Buffer[][] = [];
  for (let inst = 0; inst < instances; inst++) {
    let a = 0;
    while (a < n && timestampsMs[inst * n + a]! < fromMs) a++;
    let b = a;
    while (b < n && timestampsMs[inst * n + b]! < toMs) b++;
    first[inst] = a;
    last[inst] = b;
    const texts: Buffer[] = [];
    for (let k = a; k < b; k++) {
      texts.push(Buffer.from(' ' + formatSeconds(timestampsMs[inst * n + k]!) + '\n', 'latin1'));
    }
    tsText.push(texts);
  }
  // Series in metric-name order (stable), so each family is contiguous.
  const order = series.map((_, i) => i);
  order.sort((x, y) => {
    const a = series[x]!.labels[1]!;
    const b = series[y]!.labels[1]!;
    return a < b ? -1 : a > b ? 1 : x - y;
  });
  const fd = openSync(file, 'w');
  const buffer = Buffer.allocUnsafe(4 * 2 ** 20);
  const limit = buffer.length - 4096; // room for one more line
  let pos = 0;
  let bytes = 0;
  const flush = (): void => {
    let off = 0;
    while (off < pos) off += writeSync(fd, buffer, off, pos - off);
    bytes += pos;
    pos = 0;
  };
  try {
    for (const i of order) {
      const s = series[i]!;
      const prefix = Buffer.from(s.text + ' ', 'utf8');
      const texts = tsText[s.instance]!;
      const a = first[s.instance]!;
      const b = last[s.instance]!;
      const base = i * n;
      for (let k = a; k < b; k++) {
        if (pos > limit) flush();
        buffer.set(prefix, pos);
        pos += prefix.length;
        const v = values[base + k]!;
        if (Number.isInteger(v) && v >= 0 && v < 1e15) {
          // Digits by hand: what String(v) gives for these, several times faster.
          let digits = 1;
          for (let p = 10; p <= v; p *= 10) digits++;
          let rest = v;
          for (let d = digits - 1; d >= 0; d--) {
            buffer[pos + d] = 48 + (rest % 10);
            rest = Math.floor(rest / 10);
          }
          pos += digits;
        } else {
          pos += buffer.write(String(v), pos, 'latin1');
        }
        const t = texts[k - a]!;
        buffer.set(t, pos);
        pos += t.length;
      }
    }
    pos += buffer.write('# EOF\n', pos, 'latin1');
    flush();
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** Runs `promtool tsdb create-blocks-from openmetrics file outDir`; rejects with its output on failure. */
export function createBlocks(promtool: string, file: string, outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      promtool,
      ['tsdb', 'create-blocks-from', 'openmetrics', '-q', file, outDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (status) => {
      if (status === 0) resolve();
      else
        reject(new Error(`promtool create-blocks-from ${file} exited with ${status}:\n${output}`));
    });
  });
}

/** A Prometheus server started on a prepared data directory. */
export type PrometheusServer = ServerProcess;

/**
 * Starts `prometheus` on `dataDir` (blocks already there) with a 10-year
 * retention, no scrape jobs, listening on a free loopback port; waits until
 * `/-/ready` answers.
 */
export async function startPrometheusOn(
  binary: string,
  dataDir: string,
  workDir: string,
): Promise<PrometheusServer> {
  const port = await freePort();
  const config = join(workDir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 15s\n');
  return startServerProcess(
    'prometheus',
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${dataDir}`,
      '--storage.tsdb.retention.time=10y',
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    `http://127.0.0.1:${port}`,
    60_000,
  );
}

/** Removes files, ignoring those already gone. */
export function removeAll(paths: readonly string[]): void {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
}
