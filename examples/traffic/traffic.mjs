// The demo's traffic generator: a realistic request mix over the example users
// service's routes, spread over its instances, at a rate that follows a day
// (quiet at night, busiest in the afternoon). `npm start` runs it; by hand:
//
//   node examples/traffic/traffic.mjs http://127.0.0.1:3000 http://127.0.0.1:3001 \
//     [--rate 20] [--time-scale 60]
//
// --rate is the peak rate over all instances, requests per second (default 20);
// the night trough is 30% of it. --time-scale N runs the day N times faster
// (60: a day lasts 24 minutes), as the demo's --fast mode does for the SLOs.
// The mix: 70% user reads (popular ids more often), 12% summaries (the
// instance asks its peer: a trace across two services), 12% unknown ids (404)
// and 6% malformed ids (400). The users service has no write route, so there
// are no writes. SIGINT or SIGTERM stops it after the requests in flight.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { clearInterval, setInterval, setTimeout } from 'node:timers';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Share of the peak rate at the quietest hour. */
export const NIGHT_SHARE = 0.3;
/** The quietest hour of the day, local time; the busiest is 12 hours later. */
export const QUIETEST_HOUR = 4;
/** Most requests in flight at once; beyond it a tick's requests are skipped and counted. */
const MAX_IN_FLIGHT = 400;
const TICK_MS = 100;
/** Known users: the service seeds ids 1 to 10. */
const KNOWN_IDS = 10;

/**
 * The share of the peak rate at `hourOfDay` (0 ≤ h < 24, local time): a
 * smooth day, NIGHT_SHARE at QUIETEST_HOUR, 1 twelve hours later.
 * @param {number} hourOfDay
 * @returns {number}
 */
export function dailyShare(hourOfDay) {
  const phase = (2 * Math.PI * (hourOfDay - QUIETEST_HOUR)) / 24;
  return NIGHT_SHARE + ((1 - NIGHT_SHARE) * (1 - Math.cos(phase))) / 2;
}

/**
 * The hour of day (local time, fractional) on the demo clock: it starts at
 * the real time `startMs` and runs `timeScale` times faster.
 * @param {number} nowMs
 * @param {number} startMs
 * @param {number} timeScale
 * @param {number} [utcOffsetMs] local time minus UTC, ms
 * @returns {number}
 */
export function demoHourOfDay(nowMs, startMs, timeScale, utcOffsetMs = 0) {
  const demoMs = startMs + (nowMs - startMs) * timeScale + utcOffsetMs;
  return (((demoMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
}

/**
 * One request of the mix: its path (for `instance`'s base URL). `random`
 * returns numbers in [0, 1).
 * @param {() => number} random
 * @returns {{ kind: 'read' | 'summary' | 'not-found' | 'bad-request', path: string }}
 */
export function pickRequest(random) {
  const r = random();
  // Popular users more often: id = 1 + floor(10 · u²).
  const id = 1 + Math.floor(KNOWN_IDS * random() ** 2);
  if (r < 0.7) return { kind: 'read', path: `/api/users/${id}` };
  if (r < 0.82) return { kind: 'summary', path: `/api/users/${id}/summary` };
  if (r < 0.94) {
    const unknown = KNOWN_IDS + 1 + Math.floor(random() * 10_000);
    return { kind: 'not-found', path: `/api/users/${unknown}` };
  }
  return { kind: 'bad-request', path: `/api/users/${random() < 0.5 ? 'me' : 'abc'}` };
}

/**
 * Sends the mix to `targets` until `signal` aborts; resolves once the
 * requests in flight have ended (or after 3 s).
 * @param {{ targets: string[], peakRatePerSecond: number, timeScale: number,
 *   signal: AbortSignal, random?: () => number, log?: (line: string) => void }} options
 * @returns {Promise<{ sent: number, byStatus: Record<string, number>, skipped: number }>}
 */
export async function runTraffic(options) {
  const { targets, peakRatePerSecond, timeScale, signal } = options;
  const random = options.random ?? Math.random;
  const log = options.log ?? (() => {});
  const startMs = Date.now();
  const utcOffsetMs = -new Date(startMs).getTimezoneOffset() * 60_000;
  /** @type {Record<string, number>} */
  const byStatus = {};
  let sent = 0;
  let skipped = 0;
  let inFlight = 0;
  let owed = 0;
  let next = 0;
  let failuresSinceReport = 0;
  const send = async (/** @type {string} */ url) => {
    inFlight++;
    sent++;
    try {
      const res = await globalThis.fetch(url, { signal: globalThis.AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
    } catch {
      byStatus['error'] = (byStatus['error'] ?? 0) + 1;
      failuresSinceReport++;
    } finally {
      inFlight--;
    }
  };
  const tick = setInterval(() => {
    const hour = demoHourOfDay(Date.now(), startMs, timeScale, utcOffsetMs);
    owed += (peakRatePerSecond * dailyShare(hour) * TICK_MS) / 1000;
    while (owed >= 1) {
      owed -= 1;
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      const target = targets[next++ % targets.length];
      void send(`${target}${pickRequest(random).path}`);
    }
  }, TICK_MS);
  const report = setInterval(() => {
    if (failuresSinceReport === 0) return;
    log(`${failuresSinceReport} request(s) got no answer in the last 30 s`);
    failuresSinceReport = 0;
  }, 30_000);
  await new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  clearInterval(tick);
  clearInterval(report);
  const deadline = Date.now() + 3000;
  while (inFlight > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { sent, byStatus, skipped };
}

async function main() {
  const { values, positionals } = parseArgs({
    options: {
      rate: { type: 'string', default: '20' },
      'time-scale': { type: 'string', default: '1' },
    },
    allowPositionals: true,
  });
  const peakRatePerSecond = Number(values.rate);
  const timeScale = Number(values['time-scale']);
  if (positionals.length === 0 || !(peakRatePerSecond > 0) || !(timeScale >= 1)) {
    console.error(
      'usage: node examples/traffic/traffic.mjs URL... [--rate PEAK_PER_SECOND] [--time-scale N]',
    );
    process.exit(2);
  }
  const targets = positionals.map((u) => u.replace(/\/+$/, ''));
  const stop = new globalThis.AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  console.error(
    `traffic: sending to ${targets.length} instance(s), up to ${peakRatePerSecond} req/s (time scale ${timeScale}x)`,
  );
  const totals = await runTraffic({
    targets,
    peakRatePerSecond,
    timeScale,
    signal: stop.signal,
    log: (line) => console.error(`traffic: ${line}`),
  });
  const statuses = Object.entries(totals.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  console.error(`traffic: stopped after ${totals.sent} request(s) (${statuses || 'none'})`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
