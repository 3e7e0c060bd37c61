/**
 * Logging: a Vigil logger line carrying correlation fields (request_id,
 * trace_id, span_id taken from the context, not passed by the caller)
 * against a bare pino 10 line, in one process, alternating rounds.
 * Target: a Vigil line costs at most 1.2x a bare pino line.
 *
 * Both loggers really build every line; the destinations throw the text
 * away cheaply:
 * - an in-process sink that counts UTF-8 bytes (V8 must flatten and scan the
 *   line, as any real destination does before writing);
 * - `pino.destination('/dev/null')` with `sync: true` (one write(2) per line).
 *
 * The Vigil line is longer (267 bytes against 118: ISO time, level label,
 * service, version and the three correlation fields), and writing those
 * bytes costs. Two informational comparisons separate that from Vigil's own
 * work: against pino writing the same bytes with no work per line (the
 * floor), and against pino configured the usual way to write the same line
 * (isoTime, a mixin for the correlation fields, pino's own redaction with the
 * same default paths).
 *
 * Run: `node bench/dist/log.bench.js`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { createLogger, DEFAULT_REDACT_PATHS, runWithCorrelation } from '@vigil/sdk';
import { compareNsPerOp, report } from './harness.js';
import type { Comparison } from './harness.js';

const TARGET_COST_RATIO = 1.2;

/** A destination that keeps only a running count of UTF-8 bytes. */
function countingSink(): DestinationStream & { bytes: number } {
  return {
    bytes: 0,
    write(line: string) {
      this.bytes += Buffer.byteLength(line);
    },
  };
}

function devNull(): DestinationStream {
  return pino.destination({ dest: '/dev/null', sync: true });
}

const correlation = {
  request_id: 'req-7f3a9c2e',
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  span_id: '00f067aa0ba902b7',
};

function vigilLogger(destination: DestinationStream): Logger {
  return createLogger({ service: 'users-api', version: '1.4.0', level: 'info', destination });
}

/** pino set up by hand to write the Vigil line: what a team would write without Vigil. */
function pinoSameLine(destination: DestinationStream): Logger {
  const als = new AsyncLocalStorage<typeof correlation>();
  const logger = pino(
    {
      base: { pid: process.pid, hostname: hostname(), service: 'users-api', version: '1.4.0' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => als.getStore() ?? {},
      redact: [...DEFAULT_REDACT_PATHS],
    },
    destination,
  );
  // The mixin reads its own store, entered once around the whole run.
  als.enterWith(correlation);
  return logger;
}

/**
 * The floor: pino writing the same bytes as the Vigil line with no work per
 * line (the correlation fields fixed in `base`, the ISO time string cached
 * per millisecond). What separates Vigil from it is Vigil's own per-line
 * work; what separates it from bare pino is the length of the line.
 */
function pinoSameBytes(destination: DestinationStream): Logger {
  let lastMs = -1;
  let lastTime = '';
  return pino(
    {
      base: {
        ...correlation,
        pid: process.pid,
        hostname: hostname(),
        service: 'users-api',
        version: '1.4.0',
      },
      timestamp: () => {
        const now = Date.now();
        if (now !== lastMs) {
          lastMs = now;
          lastTime = `,"time":"${new Date(now).toISOString()}"`;
        }
        return lastTime;
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

interface Case {
  name: string;
  peerName: string;
  peer: (destination: DestinationStream) => Logger;
  destination: () => DestinationStream;
  iterations: number;
  rounds: number;
  /** Max Vigil/peer cost ratio; `undefined` for an informational figure. */
  maxCostRatio: number | undefined;
}

function compare(c: Case): Comparison {
  const vigil = vigilLogger(c.destination());
  const peer = c.peer(c.destination());
  let userId = 0;
  const r = runWithCorrelation(correlation, () =>
    compareNsPerOp(
      (n) => {
        for (let i = 0; i < n; i++) {
          vigil.info({ user_id: ++userId, route: '/users/:id' }, 'user fetched');
        }
      },
      (n) => {
        for (let i = 0; i < n; i++) {
          peer.info({ user_id: ++userId, route: '/users/:id' }, 'user fetched');
        }
      },
      { iterations: c.iterations, rounds: c.rounds, warmupIterations: 20_000 },
    ),
  );
  const costRatio = r.vigil / r.peer;
  const max = c.maxCostRatio;
  return {
    suite: 'log',
    name: c.name,
    unit: 'ns/line',
    vigil: r.vigil,
    peer: r.peer,
    peerName: c.peerName,
    ratio: r.peer / r.vigil,
    target:
      max === undefined
        ? 'informational'
        : `≥ ${(1 / max).toFixed(2)}x (Vigil ≤ ${max}x the peer's cost)`,
    met: max === undefined ? true : costRatio <= max,
    notes: `Vigil/peer cost ${costRatio.toFixed(2)}x`,
  };
}

// Before timing: the Vigil line really carries the fields it is charged for.
{
  const lines: string[] = [];
  const probe = vigilLogger({ write: (s) => lines.push(s) });
  runWithCorrelation(correlation, () => probe.info({ user_id: 1 }, 'probe'));
  const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  for (const [key, value] of Object.entries(correlation)) {
    if (line[key] !== value) throw new Error(`benchmark setup: line lacks ${key}: ${lines[0]}`);
  }
}

const bare = (destination: DestinationStream): Logger => pino({}, destination);
const results = [
  compare({
    name: 'info line + correlation fields, in-process sink',
    peerName: 'pino 10 (defaults)',
    peer: bare,
    destination: countingSink,
    iterations: 10_000,
    rounds: 21,
    maxCostRatio: TARGET_COST_RATIO,
  }),
  compare({
    name: 'info line + correlation fields, /dev/null (sync)',
    peerName: 'pino 10 (defaults)',
    peer: bare,
    destination: devNull,
    iterations: 5_000,
    rounds: 15,
    maxCostRatio: TARGET_COST_RATIO,
  }),
  compare({
    name: 'same bytes, no per-line work (floor), in-process sink',
    peerName: 'pino 10, fields fixed in base',
    peer: pinoSameBytes,
    destination: countingSink,
    iterations: 10_000,
    rounds: 15,
    maxCostRatio: undefined,
  }),
  compare({
    name: 'same line the usual pino way, in-process sink',
    peerName: 'pino 10 + isoTime + mixin + redact',
    peer: pinoSameLine,
    destination: countingSink,
    iterations: 3_000,
    rounds: 9,
    maxCostRatio: undefined,
  }),
];
report('log', results);
