/**
 * The `vigil` command as a real child process: help, check config, bad
 * config, and a whole server run (scrape a loopback target, accept remote
 * write, SIGTERM, then read the store it left behind).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STALE_NAN, isStaleNaN, newLabelMatcher } from '@vigil/model';
import { labelsToRecord } from '@vigil/storage';
import { openTsdb } from '@vigil/tsdb';
import { close, freePort, listen, waitFor } from '@vigil/testing';
import { encodeWriteRequest } from './remote-write/protobuf.js';
import { snappyCompress } from './remote-write/snappy.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

function vigil(args: string[], cwd?: string) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, timeout: 20_000 });
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A `vigil server` child process whose output is collected; SIGKILLed after the test. */
function startVigil(t: { after: (fn: () => void) => void }, args: string[]) {
  const child = spawn(process.execPath, [CLI, 'server', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = {
    child,
    output: '',
    exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (run.output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (run.output += d));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return run;
}

test('help, version and usage errors', () => {
  let r = vigil(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: vigil <command>/);
  assert.match(r.stdout, /check config FILE/);
  r = vigil(['server', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--storage\.path DIR/);
  r = vigil(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^vigil \d+\.\d+\.\d+/);
  r = vigil(['frobnicate']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  r = vigil(['server', '--bogus']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--bogus/);
  r = vigil([]);
  assert.equal(r.status, 2);
});

test('vigil check config: success and failure with the path', (t) => {
  const dir = tempDir(t);
  const good = join(dir, 'good.yml');
  const bad = join(dir, 'bad.yml');
  writeFileSync(
    good,
    'scrape_configs:\n  - job_name: a\n    static_configs: [{ targets: ["127.0.0.1:1"] }]\n',
  );
  writeFileSync(bad, 'storage:\n  retention:\n    time: soon\n');
  let r = vigil(['check', 'config', good]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /SUCCESS: 1 scrape config/);
  r = vigil(['check', 'config', good, bad]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.yml: storage\.retention\.time: invalid retention time "soon"/);
  r = vigil(['check', 'config']);
  assert.equal(r.status, 2);
});

test('vigil check rules: success with the rule count, failure naming the file and the path', (t) => {
  const dir = tempDir(t);
  const good = join(dir, 'good.yml');
  const bad = join(dir, 'bad.yml');
  writeFileSync(
    good,
    'groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n      - alert: Down\n        expr: up == 0\n        for: 5m\n',
  );
  writeFileSync(
    bad,
    'groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up\n',
  );
  let r = vigil(['check', 'rules', good]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /SUCCESS: 2 rules found/);
  r = vigil(['check', 'rules', good, bad]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.yml.*groups\[0\]\.rules\[0\]\.expr/s);
  // check config also reads the rule files the configuration names.
  const config = join(dir, 'vigil.yml');
  writeFileSync(config, 'rule_files: [bad.yml]\n');
  r = vigil(['check', 'config', config]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.yml/);
  // ... and the SLO files, under the configured time scale: 30 days / 10^7
  // makes the 5-minute page window shorter than a second.
  writeFileSync(
    join(dir, 'slo.yml'),
    'service: api\nslos:\n  up:\n    sli: { availability: { expr: up } }\n    target: 99%\n    window: 30d\n',
  );
  writeFileSync(config, 'slo_files: [slo.yml]\n');
  r = vigil(['check', 'config', config]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /1 SLO\(s\) in 1 SLO file\(s\)/);
  writeFileSync(config, 'slo_files: [slo.yml]\nslo: { time_scale: 10000000 }\n');
  r = vigil(['check', 'config', config]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /api-up/);
});

test('vigil slo validate: the three formats, and a rejection naming the file, the path and the rule', (t) => {
  const dir = tempDir(t);
  const vigilSpec = join(dir, 'user-api.yml');
  writeFileSync(
    vigilSpec,
    [
      'service: user-api',
      'slos:',
      '  availability:',
      '    sli:',
      '      ratio:',
      '        bad: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
      '        total: sum(rate(http_requests_total[{{.window}}]))',
      '    target: 99.9%',
      '    window: 30d',
      '',
    ].join('\n'),
  );
  const sloth = join(dir, 'sloth.yml');
  writeFileSync(
    sloth,
    [
      'version: prometheus/v1',
      'service: checkout',
      'slos:',
      '  - name: requests-availability',
      '    objective: 99.5',
      '    sli:',
      '      events:',
      '        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
      '        total_query: sum(rate(http_requests_total[{{.window}}]))',
      '    alerting: { name: CheckoutAvailability }',
      '',
    ].join('\n'),
  );
  let r = vigil(['slo', 'validate', vigilSpec, sloth]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /SUCCESS: 2 SLO\(s\) for 2 service\(s\)/);
  writeFileSync(sloth, readFileSync(sloth, 'utf8').replace('objective: 99.5', 'objective: 120'));
  r = vigil(['slo', 'validate', sloth]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /sloth\.yml.*slos\[0\]\.objective/s);
  r = vigil(['slo', 'check']);
  assert.equal(r.status, 2);
});

test('vigil server with a bad config exits non-zero naming the file and the path', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'vigil.yml');
  writeFileSync(file, 'scrape_configs:\n  - job_name: a\n    scrape_interval: often\n');
  let r = vigil(['server', '--config', file]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /vigil\.yml/);
  assert.match(r.stderr, /scrape_configs\[0\]\.scrape_interval/);
  r = vigil(['server', '--config', join(dir, 'absent.yml')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /absent\.yml: cannot read/);
  writeFileSync(file, '');
  r = vigil(['server', '--config', file, '--listen', 'nowhere']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--listen: server\.listen: invalid address "nowhere"/);
  r = spawnSync(process.execPath, [CLI, 'server', '--config', file], {
    encoding: 'utf8',
    env: { ...process.env, VIGIL_LISTEN: 'elsewhere' },
    timeout: 20_000,
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /VIGIL_LISTEN: server\.listen: invalid address "elsewhere"/);
});

test(
  'vigil server scrapes, accepts remote write, stops on SIGTERM, and the store keeps it all',
  { timeout: 60_000 },
  async (t) => {
    const dir = tempDir(t);
    let scrapes = 0;
    const target = createServer((_req, res) => {
      scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE cli_test_gauge gauge\ncli_test_gauge{a="b"} 7\n');
    });
    const targetPort = await listen(target);
    t.after(() => close(target));
    const port = await freePort();
    const storagePath = join(dir, 'data');
    const file = join(dir, 'vigil.yml');
    writeFileSync(
      file,
      `global:
  scrape_interval: 1s
  scrape_timeout: 500ms
storage:
  path: ${join(dir, 'ignored')}
scrape_configs:
  - job_name: t
    static_configs: [{ targets: ['127.0.0.1:${targetPort}'] }]
`,
    );
    const vigilRun = startVigil(t, [
      '--config',
      file,
      '--storage.path',
      storagePath,
      '--listen',
      `127.0.0.1:${port}`,
    ]);
    const { child, exited } = vigilRun;
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      'the server to be ready',
      async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined),
      20_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${vigilRun.output}`);
    });

    const t0 = Date.now() - 10_000;
    const res = await fetch(`${url}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body: snappyCompress(
        encodeWriteRequest([
          {
            labels: ['__name__', 'pushed', 'via', 'rw'],
            timestamps: [t0, t0 + 1000, t0 + 2000],
            values: Float64Array.of(1, 2, STALE_NAN),
          },
        ]),
      ),
    });
    assert.equal(res.status, 204, await res.text());

    await waitFor('three scrapes of the target', () => (scrapes >= 3 ? true : undefined), 20_000);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^vigil_remote_write_samples_total 3$/m);
    assert.match(metrics, /^vigil_tsdb_samples_appended_total \d+/m);
    assert.match(metrics, /^vigil_scrape_/m);
    assert.match(metrics, /^process_cpu_seconds_total /m);

    child.kill('SIGTERM');
    assert.equal(await exited, 0, vigilRun.output);
    assert.match(vigilRun.output, /Vigil server stopped/);

    const db = openTsdb(storagePath, { maintenanceIntervalMs: 0 });
    t.after(() => db.close());
    const q = db.querier(0, Date.now() + 60_000);
    const read = (name: string) => {
      const set = q.select([newLabelMatcher('=', '__name__', name)]);
      const out: Array<{
        labels: Record<string, string>;
        ts: number[];
        values: Array<number | 'stale'>;
      }> = [];
      while (set.next()) {
        const s = set.at();
        const it = s.iterator();
        const ts: number[] = [];
        const values: Array<number | 'stale'> = [];
        while (it.next()) {
          ts.push(it.timestampMs());
          values.push(isStaleNaN(it.value()) ? 'stale' : it.value());
        }
        out.push({ labels: labelsToRecord(s.labels), ts, values });
      }
      return out;
    };
    const instance = `127.0.0.1:${targetPort}`;
    const up = read('up');
    assert.equal(up.length, 1);
    assert.deepEqual(up[0]!.labels, { __name__: 'up', instance, job: 't' });
    assert.ok(up[0]!.values.length >= 3, `up has ${up[0]!.values.length} samples`);
    assert.ok(up[0]!.values.slice(0, 3).every((v) => v === 1));
    const gauge = read('cli_test_gauge');
    assert.equal(gauge.length, 1);
    assert.deepEqual(gauge[0]!.labels, { __name__: 'cli_test_gauge', a: 'b', instance, job: 't' });
    assert.ok(gauge[0]!.values.slice(0, 3).every((v) => v === 7));
    assert.deepEqual(read('pushed'), [
      {
        labels: { __name__: 'pushed', via: 'rw' },
        ts: [t0, t0 + 1000, t0 + 2000],
        values: [1, 2, 'stale'],
      },
    ]);
    q.close();
  },
);

test(
  'SIGHUP reloads the scrape configuration; a broken file keeps the running one',
  { timeout: 60_000 },
  async (t) => {
    const dir = tempDir(t);
    const hits = { a: 0, b: 0 };
    const serve = (name: 'a' | 'b') =>
      createServer((_req, res) => {
        hits[name]++;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(`reload_test{from="${name}"} 1\n`);
      });
    const targetA = serve('a');
    const targetB = serve('b');
    const portA = await listen(targetA);
    const portB = await listen(targetB);
    t.after(() => close(targetA));
    t.after(() => close(targetB));
    const port = await freePort();
    const storagePath = join(dir, 'data');
    const file = join(dir, 'vigil.yml');
    const configFor = (job: string, targetPort: number): string => `global:
  scrape_interval: 300ms
  scrape_timeout: 250ms
storage:
  path: ${storagePath}
server:
  listen: 127.0.0.1:${port}
scrape_configs:
  - job_name: ${job}
    static_configs: [{ targets: ['127.0.0.1:${targetPort}'] }]
`;
    writeFileSync(file, configFor('a', portA));
    const vigilRun = startVigil(t, ['--config', file]);
    const { child, exited } = vigilRun;
    const url = `http://127.0.0.1:${port}`;
    const metric = async (name: string): Promise<string | undefined> => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
    };
    await waitFor(
      'the server to scrape target a',
      async () => ((await fetch(`${url}/-/ready`)).ok && hits.a >= 2 ? true : undefined),
      20_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${vigilRun.output}`);
    });
    assert.equal(await metric('vigil_config_last_reload_successful'), '1');

    writeFileSync(file, configFor('b', portB));
    child.kill('SIGHUP');
    await waitFor('target b to be scraped', () => (hits.b >= 3 ? true : undefined), 20_000);
    const aAfterReload = hits.a;
    await waitFor('a few more scrape intervals', () => (hits.b >= 6 ? true : undefined), 20_000);
    assert.ok(hits.a <= aAfterReload + 1, `target a is no longer scraped (${hits.a} scrapes)`);
    assert.match(vigilRun.output, /Configuration reloaded/);

    writeFileSync(file, 'scrape_configs: [{ job_name: 1 }]\n');
    child.kill('SIGHUP');
    await waitFor(
      'the failed reload to be reported',
      async () =>
        (await metric('vigil_config_last_reload_successful')) === '0' ? true : undefined,
      10_000,
    );
    const bBefore = hits.b;
    await waitFor(
      'target b still scraped',
      () => (hits.b >= bBefore + 2 ? true : undefined),
      10_000,
    );
    assert.match(vigilRun.output, /Configuration reload failed/);

    child.kill('SIGTERM');
    assert.equal(await exited, 0, vigilRun.output);
    const db = openTsdb(storagePath, { maintenanceIntervalMs: 0 });
    t.after(() => db.close());
    const q = db.querier(0, Date.now() + 60_000);
    const set = q.select([newLabelMatcher('=', '__name__', 'reload_test')]);
    const seen = new Map<string, boolean>();
    while (set.next()) {
      const s = set.at();
      const it = s.iterator();
      let last = 0;
      while (it.next()) last = it.value();
      seen.set(labelsToRecord(s.labels).job!, isStaleNaN(last));
    }
    // Job a's series ended with a staleness marker when the reload removed it.
    assert.deepEqual([...seen.entries()].sort(), [
      ['a', true],
      ['b', false],
    ]);
  },
);

test(
  'a real server: status lines, scraped data answers /api/v1, targets and metadata; POST /-/reload',
  { timeout: 60_000 },
  async (t) => {
    const dir = tempDir(t);
    const target = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        '# HELP api_test_gauge A gauge.\n# TYPE api_test_gauge gauge\napi_test_gauge{a="b"} 7\n',
      );
    });
    const targetPort = await listen(target);
    t.after(() => close(target));
    const port = await freePort();
    const storagePath = join(dir, 'data');
    const file = join(dir, 'vigil.yml');
    const configFor = (job: string): string => `global:
  scrape_interval: 300ms
  scrape_timeout: 250ms
storage:
  path: ${storagePath}
server:
  listen: 127.0.0.1:${port}
query:
  lookback_delta: 1m
scrape_configs:
  - job_name: ${job}
    static_configs: [{ targets: ['127.0.0.1:${targetPort}'] }]
`;
    writeFileSync(file, configFor('first'));
    const vigilRun = startVigil(t, ['--config', file]);
    const url = `http://127.0.0.1:${port}`;
    const api = async (
      path: string,
      init?: RequestInit,
    ): Promise<{ status: string; data: unknown }> =>
      (await (await fetch(url + path, init)).json()) as { status: string; data: unknown };
    const samples = await waitFor(
      'the scraped gauge to be queryable',
      async () => {
        const r = await api('/api/v1/query?query=api_test_gauge');
        const result = (r.data as { result: Array<{ metric: object; value: [number, string] }> })
          .result;
        return result.length > 0 ? result : undefined;
      },
      20_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${vigilRun.output}`);
    });
    assert.deepEqual(samples[0]!.metric, {
      __name__: 'api_test_gauge',
      a: 'b',
      instance: `127.0.0.1:${targetPort}`,
      job: 'first',
    });
    assert.equal(samples[0]!.value[1], '7');
    assert.match(vigilRun.output, new RegExp(`Vigil \\S+ listening on ${url}`));
    assert.match(vigilRun.output, /scraping: +1 target\(s\) in 1 job\(s\): first/);
    assert.match(
      vigilRun.output,
      new RegExp(`data: +${storagePath.replace(/[/\\]/g, '.')} \\(retention 15d\\)`),
    );
    assert.match(vigilRun.output, /queries: +local engine \(lookback 1m, timeout 2m/);

    const targets = (await api('/api/v1/targets')).data as {
      activeTargets: Array<{ scrapePool: string; health: string }>;
    };
    assert.equal(targets.activeTargets.length, 1);
    assert.equal(targets.activeTargets[0]!.scrapePool, 'first');
    const metadata = await api('/api/v1/metadata?metric=api_test_gauge');
    assert.deepEqual(metadata.data, {
      api_test_gauge: [{ type: 'gauge', help: 'A gauge.', unit: '' }],
    });

    // A broken file: 500 with the reason, the running configuration stays.
    writeFileSync(file, 'scrape_configs: [{ job_name: 1 }]\n');
    let res = await fetch(`${url}/-/reload`, { method: 'POST' });
    assert.equal(res.status, 500);
    assert.match(
      await res.text(),
      /^failed to reload config: .*vigil\.yml: scrape_configs\[0\]\.job_name/,
    );
    let runtime = (await api('/api/v1/status/runtimeinfo')).data as {
      reloadConfigSuccess: boolean;
    };
    assert.equal(runtime.reloadConfigSuccess, false);
    // A good one: 200, and the new job is scraped.
    writeFileSync(file, configFor('second'));
    res = await fetch(`${url}/-/reload`, { method: 'POST' });
    assert.equal(res.status, 200, await res.text());
    const pools = (
      (await api('/api/v1/targets')).data as {
        activeTargets: Array<{ scrapePool: string }>;
      }
    ).activeTargets.map((t) => t.scrapePool);
    assert.deepEqual(pools, ['second']);
    runtime = (await api('/api/v1/status/runtimeinfo')).data as { reloadConfigSuccess: boolean };
    assert.equal(runtime.reloadConfigSuccess, true);
    await waitFor(
      'the new job in the store',
      async () => {
        const r = await api(`/api/v1/series?match[]=${encodeURIComponent('{job="second"}')}`);
        return (r.data as unknown[]).length > 0 ? true : undefined;
      },
      20_000,
    );
    vigilRun.child.kill('SIGTERM');
    assert.equal(await vigilRun.exited, 0, vigilRun.output);
  },
);
