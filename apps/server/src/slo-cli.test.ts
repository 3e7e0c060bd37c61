/**
 * `vigil budget check`, `vigil slo status` and `vigil slo report` as real
 * child processes against a real HTTP server on loopback that serves
 * registerSloRoutes (fixed SloStatus fixtures) and the query API (the real
 * PromQL engine over a MemoryStorage holding recorded SLO series); and the
 * /api/v1/slos routes themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '@vigil/promql';
import { DEFAULT_BUDGET_POLICY } from '@vigil/slo';
import type { BudgetPolicy, SloStatus } from '@vigil/slo';
import { MemoryStorage, labelsFromRecord } from '@vigil/storage';
import { Registry } from '@vigil/sdk';
import { freePort } from '@vigil/testing';
import { createServerApp } from './http/app.js';
import { registerSloRoutes } from './http/slos.js';
import type { ApiSloData, ApiSlosData } from './http/slos.js';
import { sloStatusCommand } from './cli/slo-status.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** "Now" for the fixtures: the start of the current minute. */
const NOW_MS = Math.floor(Date.now() / 60_000) * 60_000;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a child process (asynchronously: the server runs in this process). */
function vigil(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, NO_COLOR: '', VIGIL_URL: '', ...env },
      },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

function status(
  id: string,
  remaining: number | null,
  overrides: Partial<SloStatus> = {},
): SloStatus {
  const [service = 'svc', ...rest] = id.split('-');
  const consumed = remaining === null ? null : 1 - remaining;
  return {
    id,
    service,
    name: rest.join('-'),
    target: 0.999,
    window: { kind: 'rolling', durationMs: 30 * DAY_MS },
    budgetingMethod: 'occurrences',
    labels: {},
    evaluatedAtMs: NOW_MS,
    periodStartMs: NOW_MS - 30 * DAY_MS,
    periodEndMs: NOW_MS,
    dataState: remaining === null ? 'no-data' : 'ok',
    sli: consumed === null ? null : 1 - consumed / 1000,
    events:
      consumed === null
        ? null
        : { good: 1_000_000 - consumed * 1000, bad: consumed * 1000, total: 1_000_000 },
    budget: {
      allowedFraction: 0.001,
      allowedEvents: remaining === null ? null : 1000,
      allowedMinutes: null,
      consumedFraction: consumed,
      remainingFraction: remaining,
      consumedEvents: consumed === null ? null : consumed * 1000,
      consumedMinutes: null,
      remainingEvents: remaining === null ? null : remaining * 1000,
      remainingMinutes: null,
    },
    periodBurnRate: consumed,
    burnRates: [
      { windowMs: HOUR_MS, window: '1h', errorRatio: 0.0002, burnRate: 0.2, events: 100 },
      { windowMs: 6 * HOUR_MS, window: '6h', errorRatio: 0.0004, burnRate: 0.4, events: 600 },
      { windowMs: DAY_MS, window: '1d', errorRatio: 0.0008, burnRate: 0.8, events: 2400 },
      { windowMs: 3 * DAY_MS, window: '3d', errorRatio: 0.0016, burnRate: 1.6, events: 7200 },
    ],
    exhaustionAtMs: null,
    ...(remaining === null ? { reason: 'no samples in the period' } : {}),
    ...overrides,
  };
}

const STATUSES: SloStatus[] = [
  status('shipper-availability', 0.8),
  status('shipper-latency', 0.9),
  status('frozen-availability', -0.1),
  status('middling-availability', 0.3),
  status('dark-availability', null),
  status('incident-availability', 0.62),
];

const INCIDENT_POLICY: BudgetPolicy = {
  ...DEFAULT_BUDGET_POLICY,
  rules: [
    {
      kind: 'budget-drop',
      name: 'big incident',
      fraction: 0.2,
      withinMs: DAY_MS,
      state: 'freeze',
      action: 'Postmortem with a P0 action item.',
    },
  ],
};

/** The month before the current one, as `YYYY-MM`, and its bounds. */
function lastMonth(): { label: string; startMs: number; endMs: number } {
  const now = new Date(NOW_MS);
  const startMs = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
  const endMs = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  return { label: new Date(startMs).toISOString().slice(0, 7), startMs, endMs };
}

async function write(
  storage: MemoryStorage,
  name: string,
  sloId: string,
  fromMs: number,
  toMs: number,
  stepMs: number,
  value: (t: number) => number,
): Promise<void> {
  const [service = '', ...rest] = sloId.split('-');
  const labels = labelsFromRecord({
    __name__: name,
    sloth_id: sloId,
    sloth_service: service,
    sloth_slo: rest.join('-'),
  });
  const app = storage.appender();
  let ref = 0;
  for (let t = fromMs; t <= toMs; t += stepMs) ref = app.append(ref, labels, t, value(t));
  await app.commit();
}

/** The store: the incident SLO's budget (a 30% drop 5 days ago) and last month's error ratio of shipper-availability. */
async function store(): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  const incident = NOW_MS - 5 * DAY_MS;
  await write(
    storage,
    'slo:period_error_budget_remaining:ratio',
    'incident-availability',
    NOW_MS - 31 * DAY_MS,
    NOW_MS,
    5 * 60_000,
    (t) =>
      t < incident
        ? 0.92
        : t < incident + 2 * HOUR_MS
          ? 0.92 - (0.3 * (t - incident)) / (2 * HOUR_MS)
          : 0.62,
  );
  await write(
    storage,
    'slo:sli_error:ratio_rate30d',
    'incident-availability',
    NOW_MS - DAY_MS,
    NOW_MS,
    5 * 60_000,
    () => 0.00038,
  );
  const month = lastMonth();
  await write(
    storage,
    'slo:sli_error:ratio_rate5m',
    'shipper-availability',
    month.startMs,
    month.endMs,
    60_000,
    () => 0.0002,
  );
  return storage;
}

async function startServer(t: { after: (fn: () => Promise<unknown>) => void }): Promise<string> {
  const storage = await store();
  const engine = new Engine({ queryable: storage });
  const app = createServerApp({
    appendable: storage,
    registry: new Registry(),
    remoteWrite: false,
    api: { engine, queryable: storage },
  });
  registerSloRoutes(app, {
    statuses: () => STATUSES,
    policy: (service) => (service === 'incident' ? INCIDENT_POLICY : undefined),
    queryApi: engine,
    now: () => NOW_MS,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  return url;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: JSON.parse(await res.text()) as Record<string, unknown> };
}

test("GET /api/v1/slos: statuses and each service's decision; 404 for an unknown service", async (t) => {
  const url = await startServer(t);
  const all = await getJson(`${url}/api/v1/slos`);
  assert.equal(all.status, 200);
  assert.equal(all.body.status, 'success');
  const data = all.body.data as ApiSlosData;
  assert.deepEqual(
    data.slos.map((s) => s.id),
    STATUSES.map((s) => s.id),
  );
  assert.deepEqual(data.slos[0], JSON.parse(JSON.stringify(STATUSES[0])));
  assert.deepEqual(
    data.services.map((s) => [s.name, s.policy.state]),
    [
      ['shipper', 'ship'],
      ['frozen', 'freeze'],
      ['middling', 'balance'],
      ['dark', 'unknown'],
      ['incident', 'freeze'],
    ],
  );
  assert.deepEqual(data.services[0]!.thresholds, { ship: 0.5, balance: 0.1 });
  const incident = data.services[4]!.policy;
  assert.equal(incident.triggeredRules.length, 1);
  assert.equal(incident.triggeredRules[0]!.action, 'Postmortem with a P0 action item.');
  assert.match(
    incident.triggeredRules[0]!.detail,
    /^incident-availability: 30\.0% of the budget was spent between /,
  );

  const one = await getJson(`${url}/api/v1/slos?service=middling`);
  assert.deepEqual(
    (one.body.data as ApiSlosData).slos.map((s) => s.id),
    ['middling-availability'],
  );
  const ghost = await getJson(`${url}/api/v1/slos?service=ghost`);
  assert.equal(ghost.status, 404);
  assert.deepEqual(ghost.body, {
    status: 'error',
    errorType: 'not_found',
    error: 'no SLO belongs to service "ghost"',
  });
});

test('GET /api/v1/slos/<id>: the SLO, its policy and its history; 404 and 400s', async (t) => {
  const url = await startServer(t);
  const startS = (NOW_MS - 2 * HOUR_MS) / 1000;
  const endS = NOW_MS / 1000;
  const res = await getJson(
    `${url}/api/v1/slos/incident-availability?start=${startS}&end=${endS}&step=30m`,
  );
  assert.equal(res.status, 200);
  const data = res.body.data as ApiSloData;
  assert.equal(data.slo.id, 'incident-availability');
  assert.equal(data.policy.service, 'incident');
  assert.equal(data.policy.state, 'freeze');
  assert.deepEqual(data.range, { start: startS, end: endS, step: 1800 });
  assert.deepEqual(
    data.history.budgetRemaining,
    [0, 1, 2, 3, 4].map((i) => [startS + i * 1800, '0.62']),
  );
  assert.deepEqual(
    data.history.sli.map(([ts]) => ts),
    [0, 1, 2, 3, 4].map((i) => startS + i * 1800),
  );
  for (const [, v] of data.history.sli) assert.ok(Math.abs(Number(v) - 0.99962) < 1e-12, v);

  // Defaults: the SLO's period, 250 points or fewer.
  const dflt = await getJson(`${url}/api/v1/slos/incident-availability`);
  const d = dflt.body.data as ApiSloData;
  assert.equal(d.range.end, NOW_MS / 1000);
  assert.equal(d.range.start, (NOW_MS - 30 * DAY_MS) / 1000);
  assert.ok(d.history.budgetRemaining.length > 200 && d.history.budgetRemaining.length <= 251);

  const missing = await getJson(`${url}/api/v1/slos/nope`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, {
    status: 'error',
    errorType: 'not_found',
    error: 'no SLO with id "nope"',
  });
  const cases: [string, RegExp][] = [
    [
      'start=yesterday',
      /^invalid parameter "start": cannot parse "yesterday" to a valid timestamp$/,
    ],
    [
      `start=${endS}&end=${startS}`,
      /^invalid parameter "end": end timestamp must not be before start time$/,
    ],
    [
      'step=0',
      /^invalid parameter "step": zero or negative query resolution step widths are not accepted/,
    ],
    ['step=soon', /^invalid parameter "step": cannot parse "soon" to a valid duration$/],
    [
      `start=${startS - 86400 * 30}&end=${endS}&step=1`,
      /exceeded maximum resolution of 11,000 points/,
    ],
  ];
  for (const [query, message] of cases) {
    const bad = await getJson(`${url}/api/v1/slos/incident-availability?${query}`);
    assert.equal(bad.status, 400, query);
    assert.equal(bad.body.status, 'error');
    assert.equal(bad.body.errorType, 'bad_data');
    assert.match(String(bad.body.error), message);
  }
});

test('vigil budget check: every exit status, the verdict and --json', async (t) => {
  const url = await startServer(t);
  const check = (...args: string[]) => vigil(['budget', 'check', '--server', url, ...args]);

  let r = await check('--service', 'shipper');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    'DEPLOY ALLOWED: shipper: SHIP, 80.0% of the budget remaining (worst: shipper-availability); ship features: the error budget is healthy\n',
  );
  r = await check('--service', 'frozen');
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    /^STOP: frozen: FREEZE, -10\.0% of the budget remaining .*freeze all changes except P0 and security fixes\n$/,
  );
  r = await check('--service', 'middling');
  assert.equal(r.status, 0);
  r = await check('--service', 'middling', '--stop-on', 'balance,reliability-first,freeze');
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^STOP: middling: BALANCE/);
  // A written rule (a 30% drop within a day, read from history) escalates to freeze.
  r = await check('--service', 'incident');
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    /^STOP: incident: FREEZE, 62\.0% .*; rule: Postmortem with a P0 action item\.\n$/,
  );
  // No data: stops unless --allow-unknown (and unknown is not in --stop-on).
  r = await check('--service', 'dark');
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    /^STOP: dark: UNKNOWN, no data for dark-availability; the budget cannot be judged/,
  );
  r = await check('--service', 'dark', '--allow-unknown');
  assert.equal(r.status, 0);
  r = await check('--service', 'dark', '--allow-unknown', '--stop-on', 'unknown,freeze');
  assert.equal(r.status, 1);

  r = await check('--service', 'frozen', '--json');
  assert.equal(r.status, 1);
  const json = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(json), [
    'service',
    'allowed',
    'exitCode',
    'state',
    'stopOn',
    'allowUnknown',
    'verdict',
    'decision',
  ]);
  assert.equal(json.service, 'frozen');
  assert.equal(json.allowed, false);
  assert.equal(json.exitCode, 1);
  assert.equal(json.state, 'freeze');
  assert.deepEqual(json.stopOn, ['freeze']);
  assert.equal(json.allowUnknown, false);
  const decision = json.decision as Record<string, unknown>;
  assert.equal(decision.remainingFraction, -0.1);
  assert.equal(decision.drivingSloId, 'frozen-availability');
  assert.ok(Array.isArray(decision.reasons));
  r = await check('--service', 'shipper', '--json');
  assert.equal(r.status, 0);
  assert.equal((JSON.parse(r.stdout) as { allowed: boolean }).allowed, true);

  // 2: the gate cannot decide.
  r = await check('--service', 'ghost');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown service "ghost"/);
  r = await check('--service', 'ghost', '--json');
  assert.equal(r.status, 2);
  assert.deepEqual(JSON.parse(r.stdout), {
    service: 'ghost',
    allowed: null,
    exitCode: 2,
    error: `unknown service "ghost" at ${url}: no SLO belongs to service "ghost"`,
  });
  // A server without the SLO routes (Fastify's own 404 JSON) is not an unknown service.
  const bare = createServerApp({ appendable: new MemoryStorage(), registry: new Registry() });
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => bare.close());
  r = await vigil(['budget', 'check', '--service', 'shipper', '--server', bareUrl]);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /answered HTTP 404 without the API's envelope; is .* a Vigil server that serves SLOs\?/,
  );
  const deadPort = await freePort();
  r = await vigil([
    'budget',
    'check',
    '--service',
    'shipper',
    '--server',
    `http://127.0.0.1:${deadPort}`,
  ]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot reach the Vigil server at http:\/\/127\.0\.0\.1:\d+/);
  assert.equal(r.stdout, '');
  // VIGIL_URL is the default server.
  r = await vigil(['budget', 'check', '--service', 'shipper'], { VIGIL_URL: url });
  assert.equal(r.status, 0);
  r = await vigil(['budget', 'check']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--service NAME is required/);
  r = await check('--service', 'x', '--stop-on', 'panic');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown state "panic"/);
  r = await vigil(['budget', 'approve', '--service', 'x']);
  assert.equal(r.status, 2);
  r = await vigil(['budget', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Exit status: 0 deploy allowed, 1 the policy says stop, 2 usage error/);
});

test('vigil slo status: table without colour when not a terminal, --json, errors', async (t) => {
  const url = await startServer(t);
  let r = await vigil(['slo', 'status', '--server', url]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!r.stdout.includes('\u001b'));
  const plainTable = r.stdout;
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(
    lines[0]!,
    /^SERVICE\s+SLO\s+SLI\s+TARGET\s+BUDGET REMAINING\s+BURN 1h\s+BURN 6h\s+BURN 1d\s+BURN 3d\s+DATA$/,
  );
  assert.match(
    lines[1]!,
    /^shipper\s+availability\s+99\.980%\s+99\.9%\s+\[#{16}\.{4}\]\s+80\.0%\s+0\.20\s+0\.40\s+0\.80\s+1\.60\s+ok$/,
  );
  assert.ok(lines.some((l) => /^ {2}policy frozen: FREEZE/.test(l)));
  assert.ok(lines.some((l) => /^dark\s+availability\s+-\s+99\.9%\s+\[ {6}no data {7}\]/.test(l)));

  r = await vigil(['slo', 'status', '--service', 'middling', '--json'], { VIGIL_URL: url });
  assert.equal(r.status, 0);
  const data = JSON.parse(r.stdout) as ApiSlosData;
  assert.deepEqual(Object.keys(data), ['slos', 'services']);
  assert.equal(data.slos.length, 1);
  assert.equal(data.services[0]!.policy.state, 'balance');

  r = await vigil(['slo', 'status', '--server', url, '--service', 'ghost']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown service "ghost"/);
  r = await vigil(['slo', 'status', '--server', `http://127.0.0.1:${await freePort()}`]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot reach the Vigil server/);
  r = await vigil(['slo', 'status', '--bogus']);
  assert.equal(r.status, 2);

  // In-process with a terminal: colour unless NO_COLOR is set.
  const out = (isTTY: boolean, env: Record<string, string | undefined>) => {
    let text = '';
    return {
      io: {
        stdout: { isTTY, write: (s: string) => (text += s) },
        stderr: { write: () => true },
        env,
      },
      text: () => text,
    };
  };
  const tty = out(true, { VIGIL_URL: url });
  assert.equal(await sloStatusCommand([], tty.io), 0);
  assert.ok(tty.text().includes('\u001b[32m'));
  const noColour = out(true, { VIGIL_URL: url, NO_COLOR: '1' });
  assert.equal(await sloStatusCommand([], noColour.io), 0);
  assert.ok(!noColour.text().includes('\u001b'));
  assert.equal(noColour.text(), plainTable);
});

/** Checks that `text` is well-formed XML with one root; returns the element names. */
function wellFormedXml(text: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_:][\w.:-]*="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  let roots = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? undefined : lt);
    assert.doesNotMatch(chunk, /&(?!(amp|lt|gt|quot|apos);)/);
    if (stack.length === 0) assert.match(chunk, /^\s*$/);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    assert.ok(m !== null, `malformed markup: ${text.slice(lt, lt + 40)}`);
    i = tag.lastIndex;
    if (m[1] === '/') {
      assert.equal(stack.pop(), m[2]);
    } else {
      if (stack.length === 0) roots++;
      names.push(m[2]!);
      if (m[4] !== '/') stack.push(m[2]!);
    }
  }
  assert.deepEqual(stack, []);
  assert.equal(roots, 1);
  return names;
}

test('vigil slo report: Markdown from recorded history with well-formed SVG charts', async (t) => {
  const url = await startServer(t);
  const month = lastMonth();
  let r = await vigil([
    'slo',
    'report',
    '--server',
    url,
    '--period',
    month.label,
    '--service',
    'shipper',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const md = r.stdout;
  assert.ok(md.startsWith(`# SLO report ${month.label}\n`));
  assert.ok(md.includes('\n## shipper\n'));
  assert.ok(md.includes('\nPolicy now: **ship**: shipper: SHIP, 80.0%'));
  // 0.0002 error ratio all month: SLI 99.98%, 20% of the budget consumed, worst burn 0.2.
  const row = md.split('\n').find((l) => l.startsWith('| availability |'));
  assert.ok(row !== undefined);
  const cells = row.split('|').map((c) => c.trim());
  assert.deepEqual(cells.slice(1, 5), ['availability', '99.980%', '99.9%', '20.0%']);
  assert.equal(cells[5], '80.0%');
  assert.match(cells[6]!, /^0\.20 \(/);
  assert.equal(cells[7], '100%');
  assert.equal(cells[8], 'ship');
  assert.ok(md.includes('\n| latency | - | 99.9% | - | - | - | 0% | unknown |\n'));
  const svgs = md.match(/<svg[^]*?<\/svg>/g) ?? [];
  assert.equal(svgs.length, 2);
  for (const svg of svgs) {
    const names = wellFormedXml(svg);
    assert.equal(names[0], 'svg');
  }
  const hours = (month.endMs - month.startMs) / HOUR_MS;
  assert.equal(svgs[0].match(/points="([^"]*)"/)![1]!.split(' ').length, hours);

  const dir = mkdtempSync(join(tmpdir(), 'vigil-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'report.md');
  r = await vigil(['slo', 'report', '--server', url, '--period', month.label, '-o', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const written = readFileSync(file, 'utf8');
  for (const service of ['shipper', 'frozen', 'middling', 'dark', 'incident']) {
    assert.ok(written.includes(`\n## ${service}\n`), service);
  }
  // With -o, charts are side files linked as images.
  assert.ok(!written.includes('<svg'));
  const links = [...written.matchAll(/^!\[([^\]]+): error budget remaining\]\(([^)]+)\)$/gm)];
  assert.deepEqual(
    links.map((m) => m[1]),
    STATUSES.map((s) => s.id),
  );
  assert.equal(links[0]![2], 'report-shipper-availability.svg');
  for (const m of links) {
    const svg = readFileSync(join(dir, m[2]!), 'utf8');
    assert.equal(wellFormedXml(svg)[0], 'svg');
  }
  r = await vigil([
    'slo',
    'report',
    '--server',
    url,
    '--period',
    month.label,
    '--service',
    'dark',
    '-o',
    join(dir, 'inline.md'),
    '--inline-svg',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const inline = readFileSync(join(dir, 'inline.md'), 'utf8');
  const inlineSvgs = inline.match(/<svg[^]*?<\/svg>/g) ?? [];
  assert.equal(inlineSvgs.length, 1);
  wellFormedXml(inlineSvgs[0]);
  assert.match(inlineSvgs[0], />no data</);

  r = await vigil(['slo', 'report', '--server', url]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--period YYYY-MM is required/);
  r = await vigil(['slo', 'report', '--server', url, '--period', '2026-13']);
  assert.equal(r.status, 2);
  r = await vigil(['slo', 'report', '--server', url, '--period', '2999-01']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /in the future/);
  r = await vigil([
    'slo',
    'report',
    '--server',
    `http://127.0.0.1:${await freePort()}`,
    '--period',
    month.label,
  ]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot reach the Vigil server/);
});
