// The demo's traffic generator: the daily shape, the demo clock, the request
// mix (seeded) and a short real run against two local HTTP servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { close, listen, seededRandom } from '@vigil/testing';
import {
  NIGHT_SHARE,
  QUIETEST_HOUR,
  dailyShare,
  demoHourOfDay,
  pickRequest,
  runTraffic,
} from './traffic.mjs';

test('the day: 30% of the peak at 04:00, the peak at 16:00, smooth in between', () => {
  assert.equal(QUIETEST_HOUR, 4);
  assert.ok(Math.abs(dailyShare(4) - NIGHT_SHARE) < 1e-12);
  assert.ok(Math.abs(dailyShare(16) - 1) < 1e-12);
  assert.ok(Math.abs(dailyShare(10) - 0.65) < 1e-12);
  for (let h = 0; h < 24; h += 0.25) {
    const s = dailyShare(h);
    assert.ok(s >= NIGHT_SHARE - 1e-12 && s <= 1 + 1e-12, `${h}: ${s}`);
    assert.ok(Math.abs(dailyShare(h + 0.25) - s) < 0.03, `smooth at ${h}`);
  }
});

test('the demo clock starts at the real time of day and runs timeScale times faster', () => {
  const start = Date.UTC(2026, 10, 28, 9, 0, 0);
  assert.equal(demoHourOfDay(start, start, 60), 9);
  // One real minute at 60x is one demo hour; 24 real minutes a whole day.
  assert.equal(demoHourOfDay(start + 60_000, start, 60), 10);
  assert.equal(demoHourOfDay(start + 24 * 60_000, start, 60), 9);
  assert.equal(demoHourOfDay(start + 60_000, start, 1), 9 + 1 / 60);
  // Local time: two hours ahead of UTC.
  assert.equal(demoHourOfDay(start, start, 60, 2 * 3_600_000), 11);
});

test('the mix: about 70% reads, 12% summaries, 12% unknown ids and 6% malformed ids', () => {
  const random = seededRandom(7);
  const counts = { read: 0, summary: 0, 'not-found': 0, 'bad-request': 0 };
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const r = pickRequest(random);
    counts[r.kind]++;
    if (r.kind === 'read') assert.match(r.path, /^\/api\/users\/([1-9]|10)$/);
    if (r.kind === 'summary') assert.match(r.path, /^\/api\/users\/([1-9]|10)\/summary$/);
    if (r.kind === 'not-found') {
      const id = Number(/^\/api\/users\/(\d+)$/.exec(r.path)?.[1]);
      assert.ok(id > 10, r.path);
    }
    if (r.kind === 'bad-request') assert.match(r.path, /^\/api\/users\/(me|abc)$/);
  }
  const share = (k) => counts[k] / n;
  assert.ok(Math.abs(share('read') - 0.7) < 0.015, JSON.stringify(counts));
  assert.ok(Math.abs(share('summary') - 0.12) < 0.01, JSON.stringify(counts));
  assert.ok(Math.abs(share('not-found') - 0.12) < 0.01, JSON.stringify(counts));
  assert.ok(Math.abs(share('bad-request') - 0.06) < 0.01, JSON.stringify(counts));
});

test('runTraffic spreads requests over the targets at about the shaped rate, and stops', async (t) => {
  const hits = [[], []];
  const servers = hits.map((list) =>
    createServer((req, res) => {
      list.push(req.url);
      res.writeHead(req.url?.endsWith('/abc') || req.url?.endsWith('/me') ? 400 : 200);
      res.end('{}');
    }),
  );
  const ports = [];
  for (const s of servers) ports.push(await listen(s));
  t.after(() => Promise.all(servers.map((s) => close(s))));
  const stop = new globalThis.AbortController();
  const running = runTraffic({
    targets: ports.map((p) => `http://127.0.0.1:${p}`),
    peakRatePerSecond: 100,
    timeScale: 1,
    signal: stop.signal,
    random: seededRandom(1),
  });
  await sleep(2000);
  stop.abort();
  const totals = await running;
  const expected = 2 * 100 * dailyShare(demoHourOfDay(Date.now(), Date.now(), 1, localOffsetMs()));
  assert.ok(
    totals.sent >= expected * 0.8 && totals.sent <= expected * 1.1,
    `${totals.sent} sent, about ${expected} expected`,
  );
  assert.equal(hits[0].length + hits[1].length, totals.sent);
  assert.ok(
    Math.abs(hits[0].length - hits[1].length) <= 1,
    `${hits[0].length} / ${hits[1].length}`,
  );
  assert.equal(totals.byStatus.error, undefined);
  assert.equal((totals.byStatus[200] ?? 0) + (totals.byStatus[400] ?? 0), totals.sent);
  // Nothing more once stopped.
  const after = hits[0].length + hits[1].length;
  await sleep(300);
  assert.equal(hits[0].length + hits[1].length, after);
});

function localOffsetMs() {
  return -new Date().getTimezoneOffset() * 60_000;
}
