import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, isVigilError } from '@vigil/model';
import {
  DEFAULT_LISTEN,
  DEFAULT_QUERY_CONFIG,
  DEFAULT_REMOTE_WRITE_MAX_BODY_BYTES,
  DEFAULT_REMOTE_WRITE_MAX_DECODED_BYTES,
  DEFAULT_RETENTION_MS,
  DEFAULT_STORAGE_PATH,
  loadConfig,
  parseConfigText,
  parseListen,
} from './config.js';

function assertConfigError(text: string, ...patterns: RegExp[]): void {
  assert.throws(
    () => parseConfigText(text, 'vigil.yml'),
    (err: unknown) => {
      assert.ok(isVigilError(err), String(err));
      assert.ok(
        err.code === ErrorCodes.CONFIG_INVALID || err.code === ErrorCodes.RELABEL_CONFIG_INVALID,
        err.code,
      );
      assert.match(err.message, /vigil\.yml/);
      for (const p of patterns) assert.match(err.message, p);
      return true;
    },
  );
}

test('an empty file gives the named defaults', () => {
  for (const text of ['', '{}\n', '# nothing\n']) {
    const c = parseConfigText(text, 'vigil.yml');
    assert.deepEqual(c, {
      source: 'vigil.yml',
      global: {
        scrapeIntervalMs: 60_000,
        scrapeTimeoutMs: 10_000,
        evaluationIntervalMs: 60_000,
        externalLabels: {},
      },
      storage: { path: DEFAULT_STORAGE_PATH, retentionMs: DEFAULT_RETENTION_MS, retentionBytes: 0 },
      server: { listen: DEFAULT_LISTEN, host: '127.0.0.1', port: 9090 },
      remoteWriteReceiver: {
        enabled: true,
        maxBodyBytes: DEFAULT_REMOTE_WRITE_MAX_BODY_BYTES,
        maxDecodedBytes: DEFAULT_REMOTE_WRITE_MAX_DECODED_BYTES,
      },
      query: { ...DEFAULT_QUERY_CONFIG, remote: undefined },
      scrapeConfigs: [],
      ruleFiles: [],
      sloFiles: [],
      slo: { evaluationIntervalMs: 60_000, alerts: true, timeScale: 1 },
    });
  }
  assert.deepEqual(DEFAULT_QUERY_CONFIG, {
    lookbackDeltaMs: 300_000,
    timeoutMs: 120_000,
    maxSamples: 50_000_000,
    maxConcurrency: 20,
  });
});

test('query: engine limits and a remote backend', () => {
  let c = parseConfigText(
    `
query:
  lookback_delta: 1m
  timeout: 30s
  max_samples: 1000
  max_concurrency: 2
  remote:
    url: https://prom.example:9090/prefix
    basic_auth: { username: u, password: p }
    headers: { X-Scope-OrgID: team-a }
`,
    'vigil.yml',
  );
  assert.deepEqual(c.query, {
    lookbackDeltaMs: 60_000,
    timeoutMs: 30_000,
    maxSamples: 1000,
    maxConcurrency: 2,
    remote: {
      url: 'https://prom.example:9090/prefix',
      bearerToken: undefined,
      basicAuth: { username: 'u', password: 'p' },
      headers: { 'X-Scope-OrgID': 'team-a' },
      timeoutMs: 30_000,
    },
  });
  c = parseConfigText(
    'query:\n  remote: { url: "http://p:9090", bearer_token: t, timeout: 5s }\n',
    'vigil.yml',
  );
  assert.equal(c.query.remote?.bearerToken, 't');
  assert.equal(c.query.remote?.timeoutMs, 5000);
  assert.equal(c.query.timeoutMs, DEFAULT_QUERY_CONFIG.timeoutMs);
  assertConfigError(
    'query:\n  lookback_delta: soon\n',
    /query\.lookback_delta: invalid duration "soon"/,
  );
  assertConfigError('query:\n  timeout: 0s\n', /query\.timeout: expected a duration above 0/);
  assertConfigError('query:\n  max_samples: 1.5\n', /query\.max_samples: expected a whole number/);
  assertConfigError(
    'query:\n  max_concurrency: 0\n',
    /query\.max_concurrency: expected a number above 0/,
  );
  assertConfigError(
    'query:\n  remote: { url: "prom:9090" }\n',
    /query\.remote\.url: expected an absolute http\(s\) URL/,
  );
  assertConfigError('query:\n  remote: {}\n', /query\.remote\.url/);
  assertConfigError(
    'query:\n  remote: { url: "http://p", bearer_token: t, basic_auth: { username: u, password: p } }\n',
    /query\.remote: expected bearer_token or basic_auth, not both/,
  );
  assertConfigError('query:\n  engine: fast\n', /query: unknown key "engine"/);
});

test('a full file: every section, scrape jobs inherit the global interval', () => {
  const c = parseConfigText(
    `
global:
  scrape_interval: 15s
  scrape_timeout: 5s
  evaluation_interval: 30s
  external_labels: { region: eu }
rule_files: [rules/*.yml, /etc/vigil/slo.yml]
slo_files: [slos/*.yml]
slo: { evaluation_interval: 2m, alerts: false }
storage:
  path: /var/lib/vigil
  retention: { time: 30d, size: 10GB }
server:
  listen: 0.0.0.0:9191
remote_write_receiver:
  enabled: false
  max_body_bytes: 1MiB
  max_decoded_bytes: 4194304
scrape_configs:
  - job_name: node
    static_configs: [{ targets: ['127.0.0.1:9100'] }]
  - job_name: fast
    scrape_interval: 5s
    scrape_timeout: 2s
    static_configs: [{ targets: ['127.0.0.1:9101'] }]
`,
    'vigil.yml',
  );
  assert.deepEqual(c.global, {
    scrapeIntervalMs: 15_000,
    scrapeTimeoutMs: 5_000,
    evaluationIntervalMs: 30_000,
    externalLabels: { region: 'eu' },
  });
  // Relative rule files are resolved against the configuration file's directory.
  assert.deepEqual(c.ruleFiles, [resolve('rules/*.yml'), '/etc/vigil/slo.yml']);
  assert.deepEqual(c.sloFiles, [resolve('slos/*.yml')]);
  assert.deepEqual(c.slo, { evaluationIntervalMs: 120_000, alerts: false, timeScale: 1 });
  assert.deepEqual(c.storage, {
    path: '/var/lib/vigil',
    retentionMs: 30 * 86_400_000,
    retentionBytes: 10 * 1024 ** 3,
  });
  assert.deepEqual(c.server, { listen: '0.0.0.0:9191', host: '0.0.0.0', port: 9191 });
  assert.deepEqual(c.remoteWriteReceiver, {
    enabled: false,
    maxBodyBytes: 1024 * 1024,
    maxDecodedBytes: 4194304,
  });
  assert.equal(c.scrapeConfigs.length, 2);
  assert.equal(c.scrapeConfigs[0]!.jobName, 'node');
  assert.equal(c.scrapeConfigs[0]!.scrapeIntervalMs, 15_000);
  assert.equal(c.scrapeConfigs[0]!.scrapeTimeoutMs, 5_000);
  assert.equal(c.scrapeConfigs[1]!.scrapeIntervalMs, 5_000);
  assert.equal(c.scrapeConfigs[1]!.scrapeTimeoutMs, 2_000);
});

test('a short global interval caps the default timeout; overrides win over the file', () => {
  const c = parseConfigText(
    'global: { scrape_interval: 2s }\nserver: { listen: "127.0.0.1:1" }\nstorage: { path: a }\n',
    'v.yml',
    {
      listen: '[::1]:9999',
      storagePath: '/tmp/x',
    },
  );
  assert.equal(c.global.scrapeTimeoutMs, 2000);
  assert.deepEqual(c.server, { listen: '[::1]:9999', host: '::1', port: 9999 });
  assert.equal(c.storage.path, '/tmp/x');
});

test('parseListen', () => {
  assert.deepEqual(parseListen('127.0.0.1:9090'), { host: '127.0.0.1', port: 9090 });
  assert.deepEqual(parseListen(':9090'), { host: '0.0.0.0', port: 9090 });
  assert.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
  assert.deepEqual(parseListen('[::]:80'), { host: '::', port: 80 });
  for (const bad of ['9090', '127.0.0.1', '127.0.0.1:99999', 'a b:1', '::1:80', 'http://x:1']) {
    assert.equal(parseListen(bad), undefined, bad);
  }
});

test('each kind of error names the file, the path and the expected shape', () => {
  assertConfigError('nonsense: 1\n', /\(top level\): unknown key "nonsense"/);
  assertConfigError(
    'storage: { retention: { time: forever } }\n',
    /storage\.retention\.time: invalid retention time "forever".*"15d"/,
  );
  assertConfigError(
    'storage: { retention: { size: lots } }\n',
    /storage\.retention\.size: invalid size "lots"/,
  );
  assertConfigError('storage: { path: 3 }\n', /storage\.path: /);
  assertConfigError('storage: { paht: x }\n', /storage: unknown key "paht"/);
  assertConfigError('server: { listen: "9090" }\n', /server\.listen: expected host:port/);
  assertConfigError(
    'remote_write_receiver: { enabled: "yes" }\n',
    /remote_write_receiver\.enabled: /,
  );
  assertConfigError(
    'remote_write_receiver: { max_body_bytes: 0 }\n',
    /remote_write_receiver\.max_body_bytes: expected a size above 0/,
  );
  assertConfigError(
    'global: { scrape_interval: 10s, scrape_timeout: 20s }\n',
    /global\.scrape_timeout: .*at most global\.scrape_interval/,
  );
  assertConfigError(
    'global: { scrape_interval: 0s }\n',
    /global\.scrape_interval: expected a duration above 0/,
  );
  assertConfigError(
    'global: { external_labels: { "bad-name": x } }\n',
    /global\.external_labels.*label name/,
  );
  assertConfigError('scrape_configs:\n  - static_configs: []\n', /scrape_configs\[0\]\.job_name/);
  assertConfigError(
    'scrape_configs:\n  - job_name: a\n    relabel_configs: [{ action: explode }]\n',
    /scrape_configs\[0\]\.relabel_configs\[0\]\.action/,
  );
  assertConfigError('global:\n  scrape_interval: [1\n', /line \d+, column \d+: not valid YAML/);
  assertConfigError('a: 1\na: 2\n', /not valid YAML/);
  assertConfigError('- just\n- a list\n', /\(top level\): expected a mapping/);
  // Several problems: the first is named and the rest counted.
  assertConfigError('storage: { path: 3 }\nserver: { listen: x }\n', /and 1 more problems/);
});

test('loadConfig names the file, and refuses a missing one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'vigil.yml');
  writeFileSync(file, 'server: { listen: "127.0.0.1:9" }\n');
  assert.equal(loadConfig(file).server.port, 9);
  writeFileSync(file, 'server: { listen: nope }\n');
  assert.throws(
    () => loadConfig(file),
    (err: unknown) =>
      isVigilError(err, ErrorCodes.CONFIG_INVALID) &&
      err.message.startsWith(`${file}: server.listen:`),
  );
  assert.throws(
    () => loadConfig(join(dir, 'missing.yml')),
    (err: unknown) =>
      isVigilError(err, ErrorCodes.CONFIG_INVALID) &&
      /missing\.yml: cannot read the configuration file \(ENOENT\)/.test(err.message),
  );
});

test('the example configuration is valid', () => {
  const file = fileURLToPath(new URL('../vigil.example.yml', import.meta.url));
  const c = loadConfig(file);
  assert.equal(c.global.scrapeIntervalMs, 15_000);
  assert.equal(c.server.listen, DEFAULT_LISTEN);
  assert.equal(c.storage.retentionMs, DEFAULT_RETENTION_MS);
  assert.equal(c.remoteWriteReceiver.maxBodyBytes, DEFAULT_REMOTE_WRITE_MAX_BODY_BYTES);
  assert.equal(c.remoteWriteReceiver.maxDecodedBytes, DEFAULT_REMOTE_WRITE_MAX_DECODED_BYTES);
  assert.deepEqual(
    c.scrapeConfigs.map((j) => j.jobName),
    ['vigil'],
  );
  assert.deepEqual(c.query, { ...DEFAULT_QUERY_CONFIG, remote: undefined });
  assert.deepEqual(c.sloFiles, []);
  assert.deepEqual(c.slo, { evaluationIntervalMs: 60_000, alerts: true, timeScale: 1 });
  // The commented-out remote backend is valid once uncommented.
  const text = readFileSync(file, 'utf8').replace(/^ {2}# (remote:| {2})/gm, '  $1');
  const withRemote = parseConfigText(text, 'example');
  assert.deepEqual(withRemote.query.remote, {
    url: 'http://prometheus:9090',
    bearerToken: 'secret',
    basicAuth: undefined,
    headers: { 'X-Scope-OrgID': 'team-a' },
    timeoutMs: 120_000,
  });
});
