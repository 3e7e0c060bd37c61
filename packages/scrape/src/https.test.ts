import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MemoryStorage } from '@vigil/storage';
import { close, listen, requireTool, selfSignedCertificate, waitFor } from '@vigil/testing';
import { parseScrapeConfigs } from './config.js';
import { ScrapeManager } from './manager.js';
import { dump } from './test-helpers.test.util.js';

describe('https targets', () => {
  let dir = '';
  let server: Server | undefined;
  let port = 0;
  let skipped: string | undefined;

  before(async () => {
    const openssl = requireTool('openssl', 'openssl', (m) => (skipped = m));
    if (openssl === undefined) return;
    const tls = selfSignedCertificate(openssl);
    // The scrape config reads its CA from a file, as Prometheus's does.
    dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
    writeFileSync(join(dir, 'cert.pem'), tls.cert);
    server = createServer({ key: tls.key, cert: tls.cert }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('secure 1\n');
    });
    port = await listen(server);
  });

  after(async () => {
    if (server !== undefined) await close(server);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('verifies with ca_file, fails on an unknown CA, skips verification when told', async (t) => {
    if (skipped) return t.skip(skipped);
    const base = {
      scrape_interval: '100ms',
      scrape_timeout: '80ms',
      scheme: 'https',
      static_configs: [{ targets: [`127.0.0.1:${port}`] }],
    };
    const storage = new MemoryStorage();
    const manager = new ScrapeManager({ appendable: storage });
    await manager.applyConfig(
      parseScrapeConfigs(
        [
          { job_name: 'ca', tls_config: { ca_file: join(dir, 'cert.pem') }, ...base },
          { job_name: 'unknown', ...base },
          { job_name: 'insecure', tls_config: { insecure_skip_verify: true }, ...base },
        ],
        { source: 't' },
      ),
    );
    await waitFor(
      'all scraped',
      () => (manager.targets().every((x) => x.health !== 'unknown') ? true : undefined),
      5000,
      20,
    );
    const byJob = new Map(manager.targets().map((x) => [x.job, x]));
    await manager.stop();
    assert.equal(byJob.get('ca')!.health, 'up', byJob.get('ca')!.lastError);
    assert.equal(byJob.get('ca')!.scrapeUrl, `https://127.0.0.1:${port}/metrics`);
    assert.equal(byJob.get('insecure')!.health, 'up');
    assert.equal(byJob.get('unknown')!.health, 'down');
    assert.match(byJob.get('unknown')!.lastError, /self[- ]signed certificate/);
    assert.ok(dump(storage).has(`secure{instance="127.0.0.1:${port}",job="ca"}`));
  });

  test('an unreadable ca_file is a config error at applyConfig', async () => {
    const manager = new ScrapeManager({ appendable: new MemoryStorage() });
    await assert.rejects(
      manager.applyConfig(
        parseScrapeConfigs(
          [{ job_name: 'x', scheme: 'https', tls_config: { ca_file: '/nonexistent/ca.pem' } }],
          { source: 't' },
        ),
      ),
      /cannot read TLS file \/nonexistent\/ca\.pem/,
    );
    await manager.stop();
  });
});
