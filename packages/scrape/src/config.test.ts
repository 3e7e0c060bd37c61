import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes, VigilError } from '@vigil/model';
import { DEFAULT_BODY_SIZE_LIMIT_BYTES, parseScrapeConfigs, parseSizeBytes } from './config.js';

function fails(raw: unknown, code: string, ...parts: (string | RegExp)[]): void {
  assert.throws(
    () => parseScrapeConfigs(raw, { source: 'vigil.yml' }),
    (err: unknown) => {
      assert.ok(err instanceof VigilError);
      assert.equal(err.code, code, err.message);
      assert.match(err.message, /vigil\.yml/);
      for (const p of parts) {
        if (typeof p === 'string') assert.ok(err.message.includes(p), `${err.message} lacks ${p}`);
        else assert.match(err.message, p);
      }
      return true;
    },
  );
}

describe('parseScrapeConfigs', () => {
  test('applies Prometheus defaults', () => {
    const [c] = parseScrapeConfigs(
      [{ job_name: 'node', static_configs: [{ targets: ['a:9100'] }] }],
      {
        source: 'vigil.yml',
      },
    );
    assert.ok(c);
    assert.equal(c.jobName, 'node');
    assert.equal(c.scrapeIntervalMs, 60_000);
    assert.equal(c.scrapeTimeoutMs, 10_000);
    assert.equal(c.metricsPath, '/metrics');
    assert.equal(c.scheme, 'http');
    assert.equal(c.honorLabels, false);
    assert.equal(c.honorTimestamps, true);
    assert.equal(c.enableCompression, true);
    assert.equal(c.sampleLimit, 0);
    assert.equal(c.bodySizeLimitBytes, DEFAULT_BODY_SIZE_LIMIT_BYTES);
    assert.equal(c.labelLimit, 0);
    assert.deepEqual(c.staticConfigs, [{ targets: ['a:9100'], labels: {} }]);
    assert.deepEqual(c.relabelConfigs, []);
    assert.equal(c.authorization, undefined);
  });

  test('inherits global interval and timeout; the timeout is capped at a shorter job interval', () => {
    const configs = parseScrapeConfigs(
      [
        { job_name: 'a' },
        { job_name: 'b', scrape_interval: '5s' },
        { job_name: 'c', scrape_interval: '1m', scrape_timeout: '30s' },
      ],
      { source: 'vigil.yml', global: { scrape_interval: '15s', scrape_timeout: '12s' } },
    );
    assert.deepEqual(
      configs.map((c) => [c.scrapeIntervalMs, c.scrapeTimeoutMs]),
      [
        [15_000, 12_000],
        [5_000, 5_000],
        [60_000, 30_000],
      ],
    );
  });

  test('reads every field', () => {
    const [c] = parseScrapeConfigs(
      [
        {
          job_name: 'full',
          scrape_interval: '30s',
          scrape_timeout: '5s',
          metrics_path: '/m',
          scheme: 'https',
          params: { module: ['http_2xx'] },
          static_configs: [{ targets: ['h:1'], labels: { team: 'x', code: 200 } }],
          honor_labels: true,
          honor_timestamps: false,
          bearer_token: 's3cret',
          http_headers: { 'X-A': { values: ['1'], secrets: ['2'] }, 'X-B': 'b', 'X-C': ['c', 'd'] },
          relabel_configs: [
            { source_labels: ['__address__'], target_label: 'host', regex: '([^:]+):.*' },
          ],
          metric_relabel_configs: [{ regex: 'tmp_.*', action: 'labeldrop' }],
          sample_limit: 1000,
          body_size_limit: '10MB',
          label_limit: 30,
          label_name_length_limit: 100,
          label_value_length_limit: 200,
          tls_config: { insecure_skip_verify: true, server_name: 'h' },
        },
      ],
      { source: 'vigil.yml' },
    );
    assert.ok(c);
    assert.equal(c.scheme, 'https');
    assert.deepEqual(c.params, { module: ['http_2xx'] });
    assert.deepEqual(c.staticConfigs[0]!.labels, { team: 'x', code: '200' });
    assert.deepEqual(c.authorization, { type: 'Bearer', credentials: 's3cret' });
    assert.deepEqual(c.httpHeaders, { 'X-A': ['1', '2'], 'X-B': ['b'], 'X-C': ['c', 'd'] });
    assert.equal(c.relabelConfigs[0]!.action, 'replace');
    assert.equal(c.metricRelabelConfigs[0]!.action, 'labeldrop');
    assert.equal(c.bodySizeLimitBytes, 10 * 1024 * 1024);
    assert.equal(c.honorTimestamps, false);
    assert.deepEqual(c.tlsConfig, { insecureSkipVerify: true, serverName: 'h' });
    assert.equal(c.labelLimit, 30);
  });

  test('sizes use Prometheus base-2 units', () => {
    assert.equal(parseSizeBytes('0'), 0);
    assert.equal(parseSizeBytes(0), 0);
    assert.equal(parseSizeBytes('1KB'), 1024);
    assert.equal(parseSizeBytes('1KiB'), 1024);
    assert.equal(parseSizeBytes('1.5MB'), 1.5 * 1024 * 1024);
    assert.equal(parseSizeBytes('1GB512MB'), 1.5 * 1024 ** 3);
    assert.throws(() => parseSizeBytes('10 MB'), /expected a number with a unit/);
    assert.throws(() => parseSizeBytes('10kB'), /expected a number with a unit/);
  });

  test('errors name the file, the path and the expected shape', () => {
    fails(
      [
        { job_name: 'a' },
        { job_name: 'b' },
        { job_name: 'c', relabel_configs: [{ regex: '(', action: 'keep', source_labels: ['x'] }] },
      ],
      ErrorCodes.RELABEL_CONFIG_INVALID,
      'scrape_configs[2].relabel_configs[0].regex',
      'invalid regex',
      'RE2',
    );
    fails(
      [
        {
          job_name: 'a',
          metric_relabel_configs: [{ action: 'hashmod', source_labels: ['x'], target_label: 'y' }],
        },
      ],
      ErrorCodes.RELABEL_CONFIG_INVALID,
      'scrape_configs[0].metric_relabel_configs[0].modulus',
    );
    fails(
      [{ job_name: 'a', scrape_interval: '10 seconds' }],
      ErrorCodes.CONFIG_INVALID,
      'scrape_configs[0].scrape_interval',
      'expected a duration',
    );
    fails(
      [{ job_name: 'a', scrape_interval: '10s', scrape_timeout: '20s' }],
      ErrorCodes.CONFIG_INVALID,
      'scrape_configs[0].scrape_timeout',
      'no longer than',
    );
    fails(
      [{ job_name: 'a' }, { job_name: 'a' }],
      ErrorCodes.CONFIG_INVALID,
      'scrape_configs[1].job_name',
      'unique',
    );
    fails(
      [{ job_name: 'a', scrape_intervall: '1m' }],
      ErrorCodes.CONFIG_INVALID,
      'scrape_configs[0]',
      'scrape_intervall',
    );
    fails(
      [{ job_name: 'a', static_configs: [{ targets: ['http://x:1/metrics'] }] }],
      ErrorCodes.CONFIG_INVALID,
      'scrape_configs[0].static_configs[0].targets[0]',
      'host:port',
    );
    fails(
      [{ job_name: 'a', static_configs: [{ targets: ['x:1'], labels: { 'bad-name': 'v' } }] }],
      ErrorCodes.CONFIG_INVALID,
      'static_configs[0].labels',
    );
    fails(
      [{ job_name: 'a', body_size_limit: '10 parsecs' }],
      ErrorCodes.CONFIG_INVALID,
      'scrape_configs[0].body_size_limit',
    );
    fails(
      [{ job_name: 'a', bearer_token: 'x', basic_auth: { username: 'u' } }],
      ErrorCodes.CONFIG_INVALID,
      'at most one of',
    );
    fails(
      [{ job_name: 'a', http_headers: { Authorization: 'x' } }],
      ErrorCodes.CONFIG_INVALID,
      'scrape_configs[0].http_headers.Authorization',
      'reserved',
    );
    fails(
      [{ job_name: 'a', sample_limit: -1 }],
      ErrorCodes.CONFIG_INVALID,
      'scrape_configs[0].sample_limit',
    );
    fails({ job_name: 'a' }, ErrorCodes.CONFIG_INVALID, 'scrape_configs', 'expected array');
    assert.throws(
      () =>
        parseScrapeConfigs([], {
          source: 'vigil.yml',
          global: { scrape_interval: '10s', scrape_timeout: '20s' },
        }),
      /global\.scrape_timeout/,
    );
  });

  test('an empty or missing list is no jobs', () => {
    assert.deepEqual(parseScrapeConfigs(undefined, { source: 'x' }), []);
    assert.deepEqual(parseScrapeConfigs(null, { source: 'x' }), []);
  });
});
