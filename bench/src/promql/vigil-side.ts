/**
 * The Vigil half of the PromQL side-by-side benchmark: loads the data set
 * into the embedded store through its `Appender` the way a scraper would
 * (scrape round after scrape round, one committed batch per round of all
 * targets), then
 * writes everything out and compacts the closed 4-hour windows, which is the
 * state a live server keeps: older hours in compacted rows, the newest window
 * in recent rows and the head (a live server never compacts the window it is
 * still writing).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@vigil/testing';
import { openTsdb } from '@vigil/tsdb';
import type { Tsdb } from '@vigil/tsdb';
import type { Dataset } from './dataset.js';

/** What {@link loadTsdb} did and how long each part took. */
export interface TsdbLoad {
  readonly tsdb: Tsdb;
  readonly samples: number;
  readonly appendMs: number;
  readonly compactMs: number;
}

/**
 * Opens a store in `dir` (retention off, maintenance run by hand), appends
 * every sample of `dataset` and compacts the closed windows. The store stays open.
 */
export async function loadTsdb(dataset: Dataset, dir: string): Promise<TsdbLoad> {
  const tsdb = openTsdb(dir, { retentionMs: 0, maintenanceIntervalMs: 0 });
  const { series, values, timestampsMs, samplesPerSeries: n } = dataset;
  const instances = dataset.instanceNames.length;
  // Series of each target, in the order the data set lists them.
  const byInstance: number[][] = Array.from({ length: instances }, () => []);
  series.forEach((s, i) => byInstance[s.instance]!.push(i));
  const refs = new Float64Array(series.length);
  let samples = 0;
  const start = performance.now();
  for (let k = 0; k < n; k++) {
    const app = tsdb.appender();
    for (let inst = 0; inst < instances; inst++) {
      const t = timestampsMs[inst * n + k]!;
      for (const i of byInstance[inst]!) {
        refs[i] = app.append(refs[i]!, series[i]!.labels, t, values[i * n + k]!);
      }
      samples += byInstance[inst]!.length;
    }
    await app.commit();
    if (k % 40 === 39) tsdb.maintain();
  }
  tsdb.maintain(true);
  const appendMs = performance.now() - start;
  const compactStart = performance.now();
  tsdb.compact();
  tsdb.maintain(true);
  const compactMs = performance.now() - compactStart;
  return { tsdb, samples, appendMs, compactMs };
}

/** A `vigil server` child process started on a prepared data directory. */
export interface VigilServer {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
  logs(): string;
}

/**
 * Starts `vigil server` (apps/server's built CLI under `root`) with its
 * storage in `dataDir` (retention 10 years, no scrape jobs), listening on a
 * free loopback port; waits until `/-/ready` answers.
 */
export async function startVigilServer(
  root: string,
  dataDir: string,
  workDir: string,
): Promise<VigilServer> {
  const port = await freePort();
  const config = join(workDir, 'vigil.yml');
  writeFileSync(
    config,
    `storage:\n  path: ${dataDir}\n  retention: { time: 3650d }\nserver:\n  listen: 127.0.0.1:${port}\n`,
  );
  const child = spawn(
    process.execPath,
    [join(root, 'apps', 'server', 'dist', 'cli.js'), 'server', '--config', config],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000, undefined, { ref: false })]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`vigil server exited with ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`vigil server was not ready within 120 s:\n${log}`);
    }
    await sleep(200);
  }
  return { url, child, stop, logs: () => log };
}
