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
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@vigil/testing';
import { openTsdb } from '@vigil/tsdb';
import type { Tsdb } from '@vigil/tsdb';
import { startServerProcess, type ServerProcess } from './server-process.js';
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
export type VigilServer = ServerProcess;

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
  return startServerProcess(
    'vigil server',
    process.execPath,
    [join(root, 'apps', 'server', 'dist', 'cli.js'), 'server', '--config', config],
    `http://127.0.0.1:${port}`,
    120_000,
  );
}
