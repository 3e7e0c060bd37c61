/**
 * Game days against real things: a users-service instance (the example, as a
 * child process with fault injection on), a `vigil server` started in-process
 * scraping it every second with an SLO whose page alert uses short explicit
 * windows (5 s / 1 m), synthetic traffic sent here, and `vigil gameday` run as
 * a child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@vigil/sdk';
import { freePort, waitFor } from '@vigil/testing';
import { parseConfig } from '../config.js';
import { startServer } from '../server.js';
import type { GamedayResult } from './runner.js';

const logger = createLogger({ service: 'test', level: 'fatal' });
const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const USER_SERVICE = fileURLToPath(
  new URL('../../../../examples/user-service/dist/main.js', import.meta.url),
);

const SLOS = `
service: users
slos:
  availability:
    sli:
      ratio:
        bad: sum(rate(http_requests_total{job="users",status=~"5.."}[{{.window}}]))
        total: sum(rate(http_requests_total{job="users"}[{{.window}}]))
    target: 99%
    window: 1h
    alerting:
      name: UsersAvailability
      ticket: false
      windows:
        - { tier: page, budget: 2%, short: 5s, long: 1m }
  latency:
    sli:
      latency: { metric: http_request_duration_seconds, threshold: 200ms, selector: 'job="users"' }
    target: 95%
    window: 1h
    alerting:
      name: UsersLatency
      ticket: false
      windows:
        - { tier: page, budget: 2%, short: 5s, long: 1m }
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function vigil(args: string[], cwd: string): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, VIGIL_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, done: collect(child) };
}

test('vigil gameday: an error fault fires the page alert, faults are removed, a report is written; a failed expectation exits 1; SIGINT removes the faults', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-gameday-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const token = randomBytes(16).toString('hex');

  // The users service, with fault injection on.
  const usersPort = await freePort();
  const users = spawn(process.execPath, [USER_SERVICE], {
    env: {
      ...process.env,
      PORT: String(usersPort),
      HOST: '127.0.0.1',
      USERS_DB: join(dir, 'users.db'),
      VIGIL_FAULTS_ENABLED: 'true',
      VIGIL_FAULTS_TOKEN: token,
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const usersExit = collect(users);
  t.after(async () => {
    users.kill('SIGTERM');
    await usersExit;
  });
  const usersUrl = `http://127.0.0.1:${usersPort}`;
  await waitFor(
    'the users service to answer',
    async () => {
      try {
        return (await fetch(`${usersUrl}/api/users/1`)).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    15_000,
    100,
  );
  const adminFaults = async (): Promise<{ id: string }[]> => {
    const res = await fetch(`${usersUrl}/_vigil/faults`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { faults: { id: string }[] }).faults;
  };

  // A vigil server scraping it every second, rules and SLOs evaluated every second.
  const sloFile = join(dir, 'slos.yml');
  writeFileSync(sloFile, SLOS);
  const port = await freePort();
  const server = await startServer(
    parseConfig(
      {
        global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
        storage: { path: join(dir, 'data') },
        server: { listen: `127.0.0.1:${port}` },
        slo_files: [sloFile],
        slo: { evaluation_interval: '1s' },
        scrape_configs: [
          { job_name: 'users', static_configs: [{ targets: [`127.0.0.1:${usersPort}`] }] },
        ],
      },
      join(dir, 'vigil.yml'),
    ),
    logger,
  );
  t.after(() => server.stop());

  // Synthetic traffic: 20 requests a second.
  let stopTraffic = false;
  const traffic = (async () => {
    while (!stopTraffic) {
      await Promise.all([
        fetch(`${usersUrl}/api/users/1`).then((r) => r.arrayBuffer()),
        new Promise((r) => setTimeout(r, 50)),
      ]).catch(() => undefined);
    }
  })();
  t.after(async () => {
    stopTraffic = true;
    await traffic;
  });
  // Let a few scrapes establish the SLI before any fault.
  await waitFor(
    'the availability SLO to have data',
    async () => {
      const body = (await (await fetch(`${server.url}/api/v1/slos`)).json()) as {
        data: { slos: { id: string; budget: { remainingFraction: number | null } }[] };
      };
      const slo = body.data.slos.find((s) => s.id === 'users-availability');
      return slo?.budget.remainingFraction === 1 ? true : undefined;
    },
    20_000,
    250,
  );

  // The token comes from a JSON file, as with the demo's .vigil-data/demo.json.
  writeFileSync(join(dir, 'demo.json'), JSON.stringify({ token, instances: [usersUrl] }));
  const target = `
targets:
  users:
    urls: { file: demo.json, field: instances }
    token: { file: demo.json, field: token }
`;

  // 1. Errors on the users route: the page alert fires, latency stays quiet.
  writeFileSync(
    join(dir, 'spike.yaml'),
    `name: spike
description: errors on the users route
server: ${server.url}
${target}
faults:
  - { target: users, kind: error, status: 503, start: 2s, duration: 12s, scope: { routes: [/api/users/:id], methods: [GET] } }
settle: 2s
expectations:
  - { alert: UsersAvailability, labels: { sloth_severity: page }, fires: { within: 14s } }
  - { alert: UsersLatency, fires: false }
  - { slo: users-latency, budgetRemaining: { above: 0.5, at: throughout } }
`,
  );
  const report = join(dir, 'reports', 'spike.md');
  const spike = await vigil(['gameday', 'run', 'spike.yaml', '--json', '--report', report], dir)
    .done;
  assert.equal(spike.code, 0, spike.stderr + spike.stdout);
  const result = JSON.parse(spike.stdout) as GamedayResult & { report: string };
  assert.equal(result.outcome, 'completed');
  assert.deepEqual(
    result.verdicts.map((v) => v.status),
    ['pass', 'pass', 'pass'],
    JSON.stringify(result.verdicts),
  );
  const ttd = result.verdicts[0]!.timeToDetectMs!;
  // Two scrapes and an evaluation at least; the fault lasts 12 s.
  assert.ok(ttd >= 1000 && ttd <= 14_000, `time to detect ${ttd} ms`);
  process.stderr.write(`# measured time to detect: ${ttd} ms\n`);
  assert.deepEqual(await adminFaults(), []);
  const texts = result.timeline.map((e) => e.text);
  assert.ok(
    texts.some((x) => /^added gd-[0-9a-f]{8}-0-0 on /.test(x)),
    texts.join('\n'),
  );
  assert.ok(texts.some((x) => /^removed gd-[0-9a-f]{8}-0-0 \(its time is up\)/.test(x)));
  assert.ok(
    texts.includes('UsersAvailability {sloth_id=users-availability, sloth_severity=page} firing'),
    texts.join('\n'),
  );
  // The budget figures at the start were all there (100% left), and errors used some up.
  const availability = result.budgets.find((b) => b.slo === 'users-availability')!;
  assert.equal(availability.startRemaining, 1);
  assert.ok(availability.endRemaining! < 1, String(availability.endRemaining));
  assert.equal(result.report, report);
  const markdown = readFileSync(report, 'utf8');
  assert.match(markdown, /^# Game day: spike$/m);
  assert.match(
    markdown,
    /\| UsersAvailability \{sloth_severity=page\} fires within 14s of the first fault \| PASS \| fired after /,
  );
  assert.match(markdown, /^## Timeline$/m);
  assert.match(markdown, /\| fault \| added gd-/);
  assert.match(
    markdown,
    /\| alert \| UsersAvailability \{sloth_id=users-availability, sloth_severity=page\} firing \|/,
  );
  assert.match(markdown, /^## Follow-ups$/m);

  // 2. An expectation that is not met: exit 1, FAIL printed, faults gone.
  writeFileSync(
    join(dir, 'fail.yaml'),
    `name: fail
server: ${server.url}
${target}
faults:
  - { target: users, kind: latency, delay: 1ms, start: 0s, duration: 2s }
settle: 1s
expectations:
  - { alert: UsersLatency, labels: { sloth_severity: page }, fires: { within: 3s } }
`,
  );
  const failed = await vigil(['gameday', 'run', 'fail.yaml', '--report', 'fail.md'], dir).done;
  assert.equal(failed.code, 1, failed.stderr + failed.stdout);
  assert.match(
    failed.stdout,
    /FAIL {2}UsersLatency \{sloth_severity=page\} fires within 3s of the first fault: did not fire/,
  );
  assert.ok(existsSync(join(dir, 'fail.md')));
  assert.deepEqual(await adminFaults(), []);

  // 3. SIGINT mid-run: the fault is removed and the exit code says interrupted.
  writeFileSync(
    join(dir, 'long.yaml'),
    `name: long
server: ${server.url}
${target}
faults:
  - { target: users, kind: error, status: 500, rate: 0.5, start: 0s, duration: 5m }
`,
  );
  const long = vigil(['gameday', 'run', 'long.yaml', '--report', 'long.md'], dir);
  const injected = await waitFor(
    'the long run to inject its fault',
    async () => {
      const faults = await adminFaults();
      return faults.length > 0 ? faults : undefined;
    },
    10_000,
    100,
  );
  assert.match(injected[0]!.id, /^gd-[0-9a-f]{8}-0-0$/);
  // The SDK's own expiry is set too: the run's end (5m30s) plus a margin.
  const listed = injected[0] as { id: string; durationMs?: number };
  assert.ok(
    listed.durationMs !== undefined && listed.durationMs > 330_000 && listed.durationMs <= 390_000,
    JSON.stringify(listed),
  );
  long.child.kill('SIGINT');
  const interrupted = await long.done;
  assert.equal(interrupted.code, 130, interrupted.stderr);
  assert.match(interrupted.stderr, /interrupted; the injected faults were removed/);
  assert.match(interrupted.stdout, /removed gd-[0-9a-f]{8}-0-0 \(run interrupted\)/);
  assert.deepEqual(await adminFaults(), []);
  assert.match(readFileSync(join(dir, 'long.md'), 'utf8'), /interrupted before its end/);
});

test('vigil gameday validate names the file and path; run exits 2 when the server cannot be reached, before injecting', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-gameday-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'bad.yaml'),
    'name: bad\ntargets: { users: { url: "http://127.0.0.1:1", token: tttttttttttttttt } }\nfaults:\n  - { target: users, kind: error, start: 1x, duration: 1m }\n',
  );
  const bad = await vigil(['gameday', 'validate', 'bad.yaml'], dir).done;
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad\.yaml: faults\[0\]\.start: invalid start offset "1x"/);

  const examples = fileURLToPath(new URL('../../../../examples/gamedays/', import.meta.url));
  const ok = await vigil(
    [
      'gameday',
      'validate',
      join(examples, 'error-spike.yaml'),
      join(examples, 'slow-database.yaml'),
    ],
    dir,
  ).done;
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    ok.stdout,
    /SUCCESS: scenario error-spike: 1 fault\(s\) on 1 target\(s\), 3 expectation\(s\), 3m10s run/,
  );

  const port = await freePort();
  writeFileSync(
    join(dir, 'nowhere.yaml'),
    `name: nowhere\nserver: http://127.0.0.1:${port}\ntargets: { users: { url: "http://127.0.0.1:${port}", token: tttttttttttttttt } }\nfaults:\n  - { target: users, kind: error, start: 0s, duration: 1m }\n`,
  );
  const down = await vigil(['gameday', 'run', 'nowhere.yaml'], dir).done;
  assert.equal(down.code, 2);
  assert.match(down.stderr, /cannot reach the Vigil server at http:\/\/127\.0\.0\.1:\d+/);
  assert.equal(existsSync(join(dir, '.vigil-data')), false);

  const usage = await vigil(['gameday', 'run'], dir).done;
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /usage: vigil gameday run SCENARIO\.yaml/);
});
