// Issue 7's end-to-end check: the whole demo in fast mode, the shipped
// error-spike game day run against it with the real CLI, and the demo
// stopped. The page alert must fire within the scenario's minute (and well
// inside it: the 5 s and 1 m page windows cross 14.4x the budget within
// seconds of a 50% fault on most of the traffic), every expectation must
// pass, the faults must be gone, and the bad events the SLO engine counted
// must match what the fault caused: half of the GET /api/users/:id requests
// made while it was on, plus half of the /summary requests (each summary reads
// its user from a peer instance's /api/users/:id, and fails when that read
// does), both counted from the services' own counters, within 10% — the
// binomial noise of a 50% fault over the ~3,500 requests of the two minutes
// is about 2%, and the fault's edges fall inside 1-second scrapes.
// Takes about 3.5 minutes: the scenario runs 10 s + 2 m + 1 m of settling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  api,
  cleanUp,
  demoEnvironment,
  launch,
  stopAndCheck,
  waitForSloData,
  waitForStart,
} from './demo.test-util.mjs';

const root = new URL('..', import.meta.url).pathname;
const CLI = join(root, 'apps/server/dist/cli.js');
const SCENARIO = join(root, 'examples/gamedays/error-spike.yaml');

/** Runs the CLI in `cwd`; resolves to its exit code and output. */
function vigil(args, cwd) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, encoding: 'utf8', timeout: 6 * 60_000, env: { ...process.env, VIGIL_URL: '' } },
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : err.signal,
          stdout,
          stderr,
        }),
    );
  });
}

test('the error-spike game day against the fast demo: page in time, the budget moved as the fault says, a clean stop', async (t) => {
  // The scenario reads .vigil-data/demo.json relative to where it runs.
  const work = mkdtempSync(join(tmpdir(), 'vigil-gameday-demo-'));
  const dir = join(work, '.vigil-data');
  mkdirSync(dir);
  const { env, ports, serverUrl } = await demoEnvironment(dir);
  const runs = [];
  t.after(() => cleanUp(runs, dir, work));

  const demo = launch(env);
  runs.push(demo);
  await waitForStart(demo);
  await waitForSloData(serverUrl);
  const availability = async () =>
    (await api(serverUrl, '/api/v1/slos')).slos.find((s) => s.id === 'user-service-availability');
  const before = await availability();
  // The traffic has no server errors of its own: every bad event is the game day's.
  assert.equal(before.events.bad, 0, JSON.stringify(before.events));

  const reportFile = join(work, 'error-spike.md');
  const run = await vigil(['gameday', 'run', SCENARIO, '--json', '--report', reportFile], work);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(run.stdout);
  assert.equal(result.outcome, 'completed');
  assert.deepEqual(result.leftBehind, []);
  for (const v of result.verdicts) assert.equal(v.status, 'pass', JSON.stringify(v));
  const page = result.verdicts.find((v) => /UserServiceAvailability/.test(v.expectation));
  assert.ok(page.timeToDetectMs <= 30_000, `time to detect ${page.timeToDetectMs} ms`);
  assert.match(readFileSync(reportFile, 'utf8'), /## Timeline/);

  // No fault is left on any instance.
  const { token, instances } = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8'));
  for (const url of instances) {
    const res = await globalThis.fetch(`${url}/_vigil/faults`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const listed = await res.json();
    assert.deepEqual(listed.faults, [], url);
  }

  // The budget moved by what the fault caused. The fault was on from
  // firstFaultAtMs for its two minutes; the requests it could hit are counted
  // by the services themselves (the increase over that span, one scrape of
  // slack on each side).
  const faultEndSeconds = Math.round(result.firstFaultAtMs / 1000) + 120;
  const requestsDuringFault = async (route) => {
    const data = await api(serverUrl, '/api/v1/query', {
      query: `sum(increase(http_requests_total{job="user-service",route="${route}",method="GET"}[2m]))`,
      time: String(faultEndSeconds),
    });
    return Number(data.result[0].value[1]);
  };
  const reads = await requestsDuringFault('/api/users/:id'); // direct reads and peer reads
  const summaries = await requestsDuringFault('/api/users/:id/summary');
  const expectedBad = 0.5 * reads + 0.5 * summaries;
  const after = await availability();
  const counted = after.events.bad - before.events.bad;
  t.diagnostic(
    `time to detect ${page.timeToDetectMs} ms; bad events ${counted} counted, ${expectedBad.toFixed(0)} expected`,
  );
  assert.ok(
    Math.abs(counted - expectedBad) <= 0.1 * expectedBad,
    `bad events ${counted}, expected ${expectedBad.toFixed(0)} ± 10%`,
  );
  // And the figures the gate reads agree with those counts.
  assert.ok(
    Math.abs(after.budget.consumedFraction - after.events.bad / (0.001 * after.events.total)) <
      1e-6,
  );

  await stopAndCheck(demo, dir, ports);
});
