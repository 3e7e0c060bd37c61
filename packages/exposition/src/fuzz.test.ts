import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import type { FuzzReport, FuzzRequest } from './fuzz-worker.test.util.js';

/** Replay a run with VIGIL_FUZZ_SEED=<seed>; raise the count with VIGIL_FUZZ_CASES. */
const SEED = Number(process.env.VIGIL_FUZZ_SEED ?? 20240601);
const CASES = Number(process.env.VIGIL_FUZZ_CASES ?? 2000);
const DEADLINE_MS = 60_000;
const HEAP_LIMIT_MB = 192;

function runWorker(request: FuzzRequest): Promise<FuzzReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./fuzz-worker.test.util.js', import.meta.url), {
      workerData: request,
      // A parser that buffered without bound would crash the worker instead of the machine.
      resourceLimits: { maxOldGenerationSizeMb: HEAP_LIMIT_MB, maxYoungGenerationSizeMb: 32 },
    });
    // A parser that looped forever would be cut off here.
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`fuzzing did not finish within ${DEADLINE_MS} ms (seed ${request.seed})`));
    }, DEADLINE_MS);
    worker.once('message', (report: FuzzReport) => {
      clearTimeout(timer);
      resolve(report);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

test('fuzz: random bytes, random text and mutations of valid payloads', async (t) => {
  t.diagnostic(`fuzz seed ${SEED}, ${CASES} cases per kind (VIGIL_FUZZ_SEED / VIGIL_FUZZ_CASES)`);
  const start = performance.now();
  const report = await runWorker({ seed: SEED, cases: CASES });
  const elapsed = performance.now() - start;
  t.diagnostic(
    `${report.parses} parses in ${elapsed.toFixed(0)} ms: ${report.accepted} accepted ` +
      `(${report.roundTrips} round trips), ${report.rejected} rejected, ${report.limited} over a limit; ` +
      `slowest ${report.slowestMs.toFixed(1)} ms`,
  );
  assert.deepEqual(
    report.failures.map(
      (f) => `${f.kind} #${f.index} (${f.format}) ${f.inputBase64}: ${f.problem}`,
    ),
    [],
    `seed ${SEED}`,
  );
  assert.equal(report.parses, 3 * CASES);
  assert.ok(report.accepted > 0 && report.rejected > 0 && report.limited > 0, 'all outcomes occur');
  assert.ok(report.slowestMs < 1000, `a case took ${report.slowestMs} ms`);
});
