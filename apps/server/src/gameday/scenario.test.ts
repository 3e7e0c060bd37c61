/**
 * Scenario validation: errors name the file and the path, durations and
 * defaults, the mapping onto the SDK's FaultSpec (checked by the SDK's own
 * validator), token and URL sources, and the shipped example scenarios.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, isVigilError } from '@vigil/model';
import { FaultInjector, HealthRegistry, createLogger } from '@vigil/sdk';
import {
  DEFAULT_SETTLE_MS,
  loadScenario,
  parseScenario,
  planFaults,
  resolveServer,
  resolveTargets,
} from './scenario.js';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/gamedays/', import.meta.url));

const base = {
  name: 'x',
  targets: { users: { url: 'http://127.0.0.1:3000/', token: 'a'.repeat(16) } },
  faults: [{ target: 'users', kind: 'error', start: '0s', duration: '1m' }],
};

function invalid(doc: unknown, path: string, message: RegExp): void {
  assert.throws(
    () => parseScenario(doc, 'bad.yaml'),
    (err: unknown) => {
      assert.ok(isVigilError(err, ErrorCodes.GAMEDAY_SCENARIO_INVALID), String(err));
      assert.equal(err.details?.path, path, err.message);
      assert.ok(err.message.startsWith(`bad.yaml: ${path}: `), err.message);
      assert.match(err.message, message);
      return true;
    },
  );
}

test('validation errors name the file, the path and what was expected', () => {
  invalid(
    { ...base, faults: [{ ...base.faults[0], start: 'soon' }] },
    'faults[0].start',
    /invalid start offset "soon": expected a duration/,
  );
  invalid(
    { ...base, faults: [{ ...base.faults[0], target: 'nope' }] },
    'faults[0].target',
    /unknown target "nope"; the scenario defines "users"/,
  );
  invalid({ ...base, faults: [{ ...base.faults[0], status: 200 }] }, 'faults[0].status', /400|>=/);
  invalid(
    { ...base, faults: [{ ...base.faults[0], kind: 'latency' }] },
    'faults[0]',
    /exactly one of "delay" \(fixed\) or "distribution"/,
  );
  invalid(
    { ...base, faults: [{ ...base.faults[0], colour: 'red' }] },
    'faults[0]',
    /unknown key "colour"/,
  );
  invalid({ ...base, faults: [] }, 'faults', /1/);
  invalid({ ...base, name: 'has space' }, 'name', /letters, digits/);
  invalid(
    { ...base, targets: { users: { url: 'http://x', token: { env: 'A', file: 'b' } } } },
    'targets.users.token',
    /.+/,
  );
  invalid(
    { ...base, expectations: [{ alert: 'A', fires: { within: '5m' } }] },
    'expectations[0].fires.within',
    /goes past the end of the run \(90s after it\)/,
  );
  invalid({ ...base, duration: '30s' }, 'duration', /ends before the last fault/);
  invalid(
    { ...base, expectations: [{ slo: 's', budgetConsumed: { between: [0.5, 0.1] } }] },
    'expectations[0].budgetConsumed',
    /low <= high/,
  );
  invalid(
    {
      ...base,
      faults: [
        {
          target: 'users',
          kind: 'dependency',
          dependency: 'db',
          start: '0s',
          duration: '1s',
          scope: { routes: ['/a'] },
        },
      ],
    },
    'faults[0].scope',
    /no request scope/,
  );
});

test('defaults: run length is the last fault end plus the settle time; status 503; budget checked throughout', () => {
  const s = parseScenario(
    { ...base, expectations: [{ slo: 's', budgetRemaining: { above: 0.8 } }] },
    'ok.yaml',
  );
  assert.equal(s.durationMs, 60_000 + DEFAULT_SETTLE_MS);
  assert.equal(s.firstFaultStartMs, 0);
  assert.deepEqual(s.faults[0]!.params, { status: 503 });
  assert.deepEqual(s.expectations, [
    { type: 'budget-remaining', slo: 's', above: 0.8, below: undefined, at: 'throughout' },
  ]);
});

test('planned faults are specs the SDK accepts: every kind, routes × methods × instances', () => {
  const s = parseScenario(
    {
      name: 'all',
      targets: {
        users: { urls: ['http://a:1', 'http://b:2/'], token: 'a'.repeat(16) },
      },
      faults: [
        {
          target: 'users',
          kind: 'latency',
          distribution: { type: 'uniform', min: '100ms', max: '1s' },
          rate: 0.5,
          start: '0s',
          duration: '1m',
          scope: { routes: ['/api/users/:id', '/api/*'], methods: ['get'] },
          instances: [1],
        },
        { target: 'users', kind: 'latency', delay: '250ms', start: '5s', duration: '10s' },
        { target: 'users', kind: 'error', status: 500, rate: 0.1, start: '1s', duration: '10s' },
        {
          target: 'users',
          kind: 'dependency',
          dependency: 'sqlite',
          message: 'down',
          start: '2s',
          duration: '3s',
        },
      ],
    },
    'all.yaml',
  );
  const targets = resolveTargets(s, {}, '/');
  const planned = planFaults(s, targets, 'r1');
  assert.deepEqual(
    planned.map((p) => [p.spec.id, p.instanceUrl, p.startMs, p.endMs]),
    [
      ['gd-r1-0-0', 'http://b:2', 0, 60_000],
      ['gd-r1-0-1', 'http://b:2', 0, 60_000],
      ['gd-r1-1-0', 'http://a:1', 5000, 15_000],
      ['gd-r1-1-1', 'http://b:2', 5000, 15_000],
      ['gd-r1-2-0', 'http://a:1', 1000, 11_000],
      ['gd-r1-2-1', 'http://b:2', 1000, 11_000],
      ['gd-r1-3-0', 'http://a:1', 2000, 5000],
      ['gd-r1-3-1', 'http://b:2', 2000, 5000],
    ],
  );
  assert.deepEqual(
    { ...planned[0]!.spec, description: undefined },
    {
      kind: 'latency',
      id: 'gd-r1-0-0',
      description: undefined,
      route: '/api/users/:id',
      method: 'GET',
      distribution: { type: 'uniform', minMs: 100, maxMs: 1000 },
      rate: 0.5,
    },
  );
  // The SDK's validator accepts each, with the expiry the runner adds.
  const health = new HealthRegistry({ version: '1', cacheTtlMs: 0 });
  health.register({ name: 'sqlite', check: () => {} });
  const injector = new FaultInjector({
    enabled: true,
    health,
    logger: createLogger({ service: 'test', level: 'fatal' }),
  });
  try {
    for (const p of planned) injector.add({ ...p.spec, durationMs: 60_000 });
    assert.equal(injector.list().length, planned.length);
  } finally {
    injector.close();
  }
});

test('targets and the server resolve from literals, variables and a JSON file like the demo writes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scenario-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'demo.json'),
    JSON.stringify({
      token: 'b'.repeat(32),
      instances: ['http://127.0.0.1:3000'],
      server: 'http://127.0.0.1:9090/',
    }),
  );
  const s = parseScenario(
    {
      ...base,
      server: { file: 'demo.json', field: 'server' },
      targets: {
        users: { urls: { file: 'demo.json', field: 'instances' }, token: { file: 'demo.json' } },
        other: { urls: { env: 'OTHER_URLS' }, token: { env: 'OTHER_TOKEN' } },
      },
    },
    's.yaml',
  );
  const env = { OTHER_URLS: 'http://x:1, http://y:2', OTHER_TOKEN: 'c'.repeat(16) };
  const targets = resolveTargets(s, env, dir);
  assert.deepEqual(targets.get('users'), {
    name: 'users',
    urls: ['http://127.0.0.1:3000'],
    token: 'b'.repeat(32),
    adminPath: '/_vigil/faults',
  });
  assert.deepEqual(targets.get('other')?.urls, ['http://x:1', 'http://y:2']);
  assert.equal(resolveServer(s, env, dir), 'http://127.0.0.1:9090');
  assert.throws(
    () => resolveTargets(s, {}, dir),
    /targets\.other\.urls: the environment variable OTHER_URLS is not set/,
  );
  assert.throws(
    () => resolveTargets(s, env, join(dir, 'nowhere')),
    /targets\.users\.urls: cannot read .*demo\.json as JSON .*is the demo running/,
  );
});

test('the shipped example scenarios are valid', () => {
  const files = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  assert.deepEqual(files, ['error-spike.yaml', 'slow-database.yaml']);
  for (const f of files) {
    const s = loadScenario(join(EXAMPLES, f));
    assert.equal(s.name, f.replace(/\.yaml$/, ''));
    assert.ok(
      s.expectations.some((e) => e.type === 'alert-fires'),
      f,
    );
    assert.ok(
      s.expectations.some((e) => e.type === 'alert-quiet'),
      f,
    );
  }
});

test('a file that is not YAML is refused with the file named', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scenario-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, 'name: [unclosed\n');
  assert.throws(
    () => loadScenario(file),
    (err: unknown) => {
      assert.ok(isVigilError(err, ErrorCodes.GAMEDAY_SCENARIO_INVALID));
      assert.ok(err.message.startsWith(`${file}: not valid YAML`), err.message);
      return true;
    },
  );
});
