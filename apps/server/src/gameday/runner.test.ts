/**
 * The runner's logic with a fake clock and a scripted server: when faults are
 * added and removed, the expiry they carry, what the timeline records, the
 * measured time to detect, each kind of verdict, and clean-up on interrupt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultSpec } from '@vigil/sdk';
import { formatDuration, runGameday } from './runner.js';
import type { GamedayApi, GamedayClock, ObservedAlert, ObservedSlo } from './runner.js';
import { parseScenario, planFaults } from './scenario.js';
import type { ResolvedTarget } from './scenario.js';

const T0 = 1_800_000_000_000;

/** A clock that jumps to the wake-up time at each sleep. */
function fakeClock(): GamedayClock & { t: number } {
  const clock = {
    t: T0,
    now: () => clock.t,
    sleep: (ms: number, signal: AbortSignal | undefined): Promise<void> => {
      if (signal?.aborted !== true) clock.t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

interface Call {
  atMs: number;
  op: 'add' | 'remove';
  url: string;
  id: string;
  spec?: FaultSpec;
}

/** A server whose alerts and SLO figures are functions of time since T0. */
function fakeApi(
  clock: { now(): number },
  alertsAt: (offsetMs: number) => ObservedAlert[],
  slosAt: (offsetMs: number) => ObservedSlo[],
): GamedayApi & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    addFault: (url, spec) => {
      calls.push({ atMs: clock.now() - T0, op: 'add', url, id: spec.id, spec });
      return Promise.resolve();
    },
    removeFault: (url, id) => {
      calls.push({ atMs: clock.now() - T0, op: 'remove', url, id });
      return Promise.resolve(true);
    },
    alerts: () => Promise.resolve(alertsAt(clock.now() - T0)),
    slos: () => Promise.resolve(slosAt(clock.now() - T0)),
  };
}

const TARGETS = new Map<string, ResolvedTarget>([
  [
    'users',
    {
      name: 'users',
      urls: ['http://a:1', 'http://b:2'],
      token: 't'.repeat(16),
      adminPath: '/_vigil/faults',
    },
  ],
]);

const SCENARIO = parseScenario(
  {
    name: 'spike',
    targets: { users: { urls: ['http://a:1', 'http://b:2'], token: 't'.repeat(16) } },
    faults: [
      {
        target: 'users',
        kind: 'error',
        status: 500,
        start: '10s',
        duration: '20s',
        scope: { routes: ['/api/users/:id'] },
      },
    ],
    settle: '10s',
    expectations: [
      { alert: 'Avail', labels: { sloth_severity: 'page' }, fires: { within: '15s' } },
      { alert: 'Latency', fires: false },
      { slo: 'svc-availability', budgetRemaining: { above: 0.5 } },
      { slo: 'svc-availability', budgetConsumed: { between: [0.2, 0.4] } },
      { slo: 'svc-latency', budgetRemaining: { above: 0.9, at: 'end' } },
    ],
  },
  'spike.yaml',
);

const page = { alertname: 'Avail', sloth_severity: 'page', sloth_id: 'svc-availability' };

test('faults are added and removed at their times on every instance, with a self-expiry past the run', async () => {
  const clock = fakeClock();
  const api = fakeApi(
    clock,
    () => [],
    () => [],
  );
  const faults = planFaults(SCENARIO, TARGETS, 'abcd1234');
  assert.deepEqual(
    faults.map((f) => [f.spec.id, f.instanceUrl]),
    [
      ['gd-abcd1234-0-0', 'http://a:1'],
      ['gd-abcd1234-0-1', 'http://b:2'],
    ],
  );
  const result = await runGameday(SCENARIO, {
    clock,
    api,
    faults,
    pollIntervalMs: 1000,
    expiryMarginMs: 60_000,
  });
  assert.equal(result.outcome, 'completed');
  assert.deepEqual(
    api.calls.map((c) => [c.atMs, c.op, c.id]),
    [
      [10_000, 'add', 'gd-abcd1234-0-0'],
      [10_000, 'add', 'gd-abcd1234-0-1'],
      [30_000, 'remove', 'gd-abcd1234-0-0'],
      [30_000, 'remove', 'gd-abcd1234-0-1'],
    ],
  );
  // The run is 40 s long; added at 10 s, a fault expires by itself 60 s after its end.
  const spec = api.calls[0]!.spec as FaultSpec & { route: string; status: number };
  assert.equal(spec.durationMs, 90_000);
  assert.equal(spec.route, '/api/users/:id');
  assert.equal(spec.status, 500);
  assert.equal(result.endedAtMs - result.startedAtMs, 40_000);
  assert.equal(result.firstFaultAtMs, T0 + 10_000);
});

test('verdicts: time to detect, a quiet alert, budget remaining throughout and at the end, budget consumed', async () => {
  const clock = fakeClock();
  // The page alert is pending from 14 s and fires from 17 s to 33 s; the
  // availability budget falls from 100% to 70%; latency stays at 95%.
  const api = fakeApi(
    clock,
    (t) =>
      t >= 17_000 && t < 33_000
        ? [{ labels: page, state: 'firing' }]
        : t >= 14_000 && t < 17_000
          ? [{ labels: page, state: 'pending' }]
          : [],
    (t) => [
      {
        id: 'svc-availability',
        remaining: t < 10_000 ? 1 : Math.max(0.7, 1 - (t - 10_000) / 50_000),
      },
      { id: 'svc-latency', remaining: 0.95 },
    ],
  );
  const result = await runGameday(SCENARIO, {
    clock,
    api,
    faults: planFaults(SCENARIO, TARGETS, 'abcd1234'),
  });
  assert.deepEqual(
    result.verdicts.map((v) => [v.status, v.measured]),
    [
      ['pass', 'fired after 7s'],
      ['pass', 'did not fire'],
      ['pass', 'lowest 70%'],
      ['pass', 'consumed 30% (100% → 70%)'],
      ['pass', 'at the end 95%'],
    ],
  );
  assert.equal(result.verdicts[0]!.timeToDetectMs, 7000);
  const alertLines = result.timeline.filter((e) => e.type === 'alert');
  assert.deepEqual(
    alertLines.map((e) => [e.offsetMs, e.text]),
    [
      [14_000, 'Avail {sloth_severity=page, sloth_id=svc-availability} pending'],
      [17_000, 'Avail {sloth_severity=page, sloth_id=svc-availability} firing'],
      [33_000, 'Avail {sloth_severity=page, sloth_id=svc-availability} resolved'],
    ],
  );
  assert.deepEqual(result.budgets, [
    { slo: 'svc-availability', startRemaining: 1, endRemaining: 0.7, minRemaining: 0.7 },
    { slo: 'svc-latency', startRemaining: 0.95, endRemaining: 0.95, minRemaining: 0.95 },
  ]);
});

test('failed verdicts: too slow, a noisy alert, budget too low, an unknown SLO, an alert firing before the run', async () => {
  const clock = fakeClock();
  const api = fakeApi(
    clock,
    (t) => [
      ...(t >= 26_000 ? [{ labels: page, state: 'firing' }] : []),
      ...(t >= 5000
        ? [{ labels: { alertname: 'Latency', sloth_severity: 'ticket' }, state: 'firing' }]
        : []),
    ],
    (t) => [{ id: 'svc-availability', remaining: t < 20_000 ? 1 : 0.3 }],
  );
  const result = await runGameday(SCENARIO, {
    clock,
    api,
    faults: planFaults(SCENARIO, TARGETS, 'abcd1234'),
  });
  assert.deepEqual(
    result.verdicts.map((v) => [v.status, v.measured]),
    [
      ['fail', 'fired after 16s'],
      ['fail', 'fired 5s into the run'],
      ['fail', 'lowest 30%'],
      ['fail', 'consumed 70% (100% → 30%)'],
      ['fail', 'the server has no SLO "svc-latency" (see vigil slo status)'],
    ],
  );

  const early = fakeClock();
  const already = await runGameday(SCENARIO, {
    clock: early,
    api: fakeApi(
      early,
      () => [{ labels: page, state: 'firing' }],
      () => [],
    ),
    faults: planFaults(SCENARIO, TARGETS, 'abcd1234'),
  });
  assert.equal(already.verdicts[0]!.status, 'fail');
  assert.match(already.verdicts[0]!.measured, /already firing when the run started/);
});

test('an interrupt removes the active faults at once and leaves undecided what was not decided', async () => {
  const clock = fakeClock();
  const controller = new AbortController();
  const api = fakeApi(
    clock,
    () => [],
    (t) => {
      if (t >= 12_000) controller.abort();
      return [{ id: 'svc-availability', remaining: 1 }];
    },
  );
  const result = await runGameday(SCENARIO, {
    clock,
    api,
    faults: planFaults(SCENARIO, TARGETS, 'abcd1234'),
    signal: controller.signal,
  });
  assert.equal(result.outcome, 'interrupted');
  assert.deepEqual(
    api.calls.map((c) => [c.atMs, c.op]),
    [
      [10_000, 'add'],
      [10_000, 'add'],
      [12_000, 'remove'],
      [12_000, 'remove'],
    ],
  );
  assert.deepEqual(
    result.verdicts.map((v) => v.status),
    ['undecided', 'undecided', 'undecided', 'undecided', 'fail'],
  );
  assert.ok(result.timeline.some((e) => e.text === 'interrupted: removing the injected faults'));
});

test('a fault the target refuses aborts the run and removes what was added; a failed removal is reported', async () => {
  const clock = fakeClock();
  const api = fakeApi(
    clock,
    () => [],
    () => [],
  );
  let adds = 0;
  const refusing: GamedayApi = {
    ...api,
    addFault: (url, spec) => {
      if (++adds === 2) return Promise.reject(new Error('401 refused'));
      return api.addFault(url, spec);
    },
    removeFault: () => Promise.reject(new Error('connection refused')),
  };
  const result = await runGameday(SCENARIO, {
    clock,
    api: refusing,
    faults: planFaults(SCENARIO, TARGETS, 'abcd1234'),
  });
  assert.equal(result.outcome, 'aborted');
  assert.match(result.error!, /could not add fault gd-abcd1234-0-1 on http:\/\/b:2: 401 refused/);
  assert.deepEqual(result.leftBehind, ['gd-abcd1234-0-0']);
});

test('a failed poll is one timeline entry, not one per second, and the run goes on', async () => {
  const clock = fakeClock();
  const api = fakeApi(
    clock,
    () => [],
    () => [],
  );
  const flaky: GamedayApi = {
    ...api,
    alerts: () =>
      clock.now() - T0 >= 5000 && clock.now() - T0 < 15_000
        ? Promise.reject(new Error('ECONNREFUSED'))
        : api.alerts(),
  };
  const result = await runGameday(SCENARIO, {
    clock,
    api: flaky,
    faults: planFaults(SCENARIO, TARGETS, 'abcd1234'),
  });
  assert.equal(result.outcome, 'completed');
  const errors = result.timeline.filter((e) => e.type === 'error');
  assert.deepEqual(
    errors.map((e) => [e.offsetMs, e.text]),
    [[5000, 'reading the server failed: ECONNREFUSED']],
  );
  assert.ok(
    result.timeline.some((e) => e.offsetMs === 15_000 && e.text === 'the server answers again'),
  );
});

test('an alert already firing at the start leaves "does not fire" undecided; deep overspend is not a line a second', async () => {
  const clock = fakeClock();
  const api = fakeApi(
    clock,
    () => [{ labels: { alertname: 'Latency', sloth_severity: 'ticket' }, state: 'firing' }],
    // From -100% the budget falls by 50 points a second: a line only per quarter of overspend.
    (t) => [{ id: 'svc-availability', remaining: -1 - Math.floor(t / 1000) * 0.5 }],
  );
  const result = await runGameday(SCENARIO, {
    clock,
    api,
    faults: planFaults(SCENARIO, TARGETS, 'abcd1234'),
  });
  assert.equal(result.verdicts[1]!.status, 'undecided');
  assert.match(result.verdicts[1]!.measured, /already firing when the run started/);
  const budgetLines = result.timeline.filter((e) => e.type === 'slo').map((e) => e.text);
  // 41 polls from -100% to -2100%; a line when the change is at least a
  // quarter of the overspend past 100%: 14 lines, not 41.
  assert.equal(budgetLines.length, 14, budgetLines.join('\n'));
  assert.equal(budgetLines[13], 'svc-availability budget remaining -2000%');
  assert.equal(budgetLines[0], 'svc-availability budget remaining -100%');
});

test('durations print as people read them', () => {
  assert.deepEqual([0, 250, 4200, 59_960, 60_000, 65_000, 239_600].map(formatDuration), [
    '0s',
    '250ms',
    '4.2s',
    '1m00s',
    '1m00s',
    '1m05s',
    '4m00s',
  ]);
});
