import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@vigil/testing';
import { KILL_SERIES, killLabels, killTimestamp, killValue } from './kill-workload.js';
import { bits, collect, openForTest, tempDir } from './test-support.js';

const WORKER = fileURLToPath(new URL('./kill-worker.js', import.meta.url));
const ROUNDS = 5;

/** Runs the worker until it has acknowledged a few batches, then SIGKILLs it at a random moment. */
async function runAndKill(
  dir: string,
  delayMs: number,
): Promise<{ start: number; acked: number; signal: string | null }> {
  const child = spawn(process.execPath, [WORKER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let start = -1;
  let acked = -1;
  let killTimer: NodeJS.Timeout | undefined;
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('start ')) start = Number(line.slice(6));
      else acked = Math.max(acked, Number(line));
      // Kill a random time after ingestion got going.
      if (killTimer === undefined && acked >= start + 3 && start >= 0) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    }
  });
  const signal = await new Promise<string | null>((resolve) => {
    child.on('exit', (_code, sig) => resolve(sig));
  });
  if (killTimer !== undefined) clearTimeout(killTimer);
  // Lines that arrived in the last chunk.
  for (const line of out.split('\n')) if (/^\d+$/.test(line)) acked = Math.max(acked, Number(line));
  assert.equal(signal, 'SIGKILL', `worker exited by itself: ${err}`);
  return { start, acked, signal };
}

/** Checks that batches 0..acked (and possibly a few unacknowledged ones after) are all there, exact. */
function verify(dir: string, acked: number): number {
  const db = openForTest(dir);
  const got = collect(db);
  assert.equal(got.length, KILL_SERIES, 'every series is there');
  let newest = -1;
  for (const s of got) {
    const i = Number(s.labels[s.labels.indexOf('i') + 1]);
    assert.deepEqual(s.labels, killLabels(i));
    const n = s.samples.length;
    assert.ok(n >= acked + 1, `series ${i}: ${n} batches, acknowledged ${acked + 1}`);
    for (let b = 0; b < n; b++) {
      const sample = s.samples[b]!;
      if (sample.t !== killTimestamp(b) || bits(sample.v) !== bits(killValue(i, b))) {
        assert.fail(
          `series ${i} batch ${b}: got ${sample.t}=${sample.v}, want ${killTimestamp(b)}=${killValue(i, b)}`,
        );
      }
    }
    if (newest === -1) newest = n - 1;
    assert.equal(n - 1, newest, 'batches are atomic: every series ends at the same batch');
  }
  db.close();
  return newest;
}

test(
  'kill -9 during heavy ingestion loses no acknowledged batch',
  { timeout: 60_000 },
  async (t) => {
    const { dir, cleanup } = tempDir('vigil-tsdb-kill-');
    try {
      const rand = seededRandom(Number(process.env.KILL_TEST_SEED ?? Date.now() % 100_000));
      let total = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const delayMs = Math.floor(rand() * 1200);
        const { start, acked } = await runAndKill(dir, delayMs);
        assert.ok(acked >= start + 3, `round ${round}: acknowledged ${acked} from ${start}`);
        const newest = verify(dir, acked);
        assert.ok(
          newest >= acked && newest <= acked + 2,
          `newest ${newest}, acknowledged ${acked}`,
        );
        total += acked - start + 1;
        t.diagnostic(
          `round ${round}: batches ${start}..${acked} acknowledged, ${newest} on disk, killed ${delayMs} ms after batch ${start + 3}`,
        );
      }
      assert.ok(total > 0);
      // The store accepts appends after all this, and keeps them.
      const db = openForTest(dir);
      const last = collect(db)[0]!.samples.length;
      const app = db.appender();
      for (let i = 0; i < KILL_SERIES; i++)
        app.append(0, killLabels(i), killTimestamp(last), killValue(i, last));
      await app.commit();
      db.close();
      verify(dir, last);
    } finally {
      cleanup();
    }
  },
);
