// `npm start`: the Vigil demo in one terminal. Starts a `vigil server` (the
// embedded store in .vigil-data/tsdb, kept between runs), three instances of
// the example users service (fault injection on, one admin token; each
// instance's /summary asks the next one, so traces span services), the
// service's SLOs (examples/slos/) and a traffic generator with a daily shape
// (examples/traffic/). Ctrl-C stops everything. The build and first-run
// install happen in `prestart`.
//
//   npm start               real time: SLO windows of 30 days
//   npm start -- --fast     demo time: SLO and alert windows 60x shorter (30d
//                           last 12h, the 1h page window 1m), scrape and
//                           evaluation every 1 s, the day of traffic in 24 min
//
// Environment (for tests and busy machines): VIGIL_DEMO_DIR (data directory,
// default .vigil-data), VIGIL_DEMO_SERVER_PORT (default 9090),
// VIGIL_DEMO_PORTS (the three instances' ports, default 3000,3001,3002),
// VIGIL_DEMO_RATE (peak requests per second, default 20), LOG_LEVEL (the
// children's, default warn).
//
// It writes <data dir>/vigil.yml (the server's configuration) and
// <data dir>/demo.json ({ token, instances, server, ... }: what game days
// and the hints need).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
/** The demo's time scale in --fast mode: 30 days last 12 hours. */
const FAST_TIME_SCALE = 60;
/** How long a child may take to stop after SIGTERM before it gets SIGKILL, ms. */
const STOP_TIMEOUT_MS = 10_000;
/** How long the children may take to start, ms. */
const START_TIMEOUT_MS = 60_000;
const HOST = '127.0.0.1';

let args;
try {
  ({ values: args } = parseArgs({
    options: { fast: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  }));
} catch (err) {
  console.error(
    `${err instanceof Error ? err.message : String(err)}\nusage: npm start [-- --fast]`,
  );
  process.exit(2);
}
if (args.help) {
  console.log('usage: npm start [-- --fast]   (see the top of scripts/start.mjs)');
  process.exit(0);
}
const fast = args.fast;
const timeScale = fast ? FAST_TIME_SCALE : 1;
const dataDir = resolve(root, process.env.VIGIL_DEMO_DIR ?? '.vigil-data');
const shownDataDir = relative(process.cwd(), dataDir) || '.';
const serverPort = portFrom('VIGIL_DEMO_SERVER_PORT', process.env.VIGIL_DEMO_SERVER_PORT ?? '9090');
const servicePorts = (process.env.VIGIL_DEMO_PORTS ?? '3000,3001,3002')
  .split(',')
  .map((p) => portFrom('VIGIL_DEMO_PORTS', p.trim()));
if (servicePorts.length !== 3) {
  console.error('VIGIL_DEMO_PORTS: expected three ports, such as 3000,3001,3002');
  process.exit(2);
}
const peakRate = Number(process.env.VIGIL_DEMO_RATE ?? '20');
if (!(peakRate > 0)) {
  console.error('VIGIL_DEMO_RATE: expected a rate above 0 (requests per second)');
  process.exit(2);
}
const logLevel = process.env.LOG_LEVEL ?? 'warn'; // the services log 4xx and 5xx at warn
const serverUrl = `http://${HOST}:${serverPort}`;
const instances = servicePorts.map((p) => `http://${HOST}:${p}`);
const token = randomBytes(24).toString('base64url');

function portFrom(name, text) {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`${name}: expected a port number, got "${text}"`);
    process.exit(2);
  }
  return port;
}

// The server's configuration: written each start, so that ports, the data
// directory and --fast apply (examples/vigil.yml is the same setup, by hand).
mkdirSync(dataDir, { recursive: true });
const logDir = resolve(dataDir, 'logs');
mkdirSync(logDir, { recursive: true });
const configFile = resolve(dataDir, 'vigil.yml');
const sloFiles = resolve(root, 'examples/slos/*.yml');
writeFileSync(
  configFile,
  [
    `# Written by scripts/start.mjs (npm start${fast ? ' -- --fast' : ''}); rewritten at each start.`,
    'global:',
    `  scrape_interval: ${fast ? '1s' : '5s'}`,
    `  scrape_timeout: ${fast ? '1s' : '4s'}`,
    `  evaluation_interval: ${fast ? '1s' : '15s'} # rules and SLOs`,
    'storage:',
    `  path: ${JSON.stringify(resolve(dataDir, 'tsdb'))}`,
    '  retention:',
    '    time: 31d',
    'server:',
    `  listen: ${HOST}:${serverPort}`,
    'slo_files:',
    `  - ${JSON.stringify(sloFiles)}`,
    ...(fast
      ? [
          'slo:',
          `  time_scale: ${timeScale} # demo only: SLO and alert windows ${timeScale}x shorter`,
        ]
      : []),
    'scrape_configs:',
    '  - job_name: user-service',
    '    static_configs:',
    `      - targets: [${servicePorts.map((p) => `'${HOST}:${p}'`).join(', ')}]`,
    '        labels:',
    '          env: demo',
    '  - job_name: vigil',
    '    static_configs:',
    `      - targets: ['${HOST}:${serverPort}']`,
    '',
  ].join('\n'),
);

/** @type {{ name: string, child: import('node:child_process').ChildProcess, output: string[], ready: boolean }[]} */
const children = [];
let stopping = false;
let exitCode = 0;

function alive(entry) {
  return entry.child.exitCode === null && entry.child.signalCode === null;
}

/**
 * Starts `node <args>` as its own process group (so that the terminal's
 * Ctrl-C reaches only this launcher, which stops the children in order).
 * Its stdout (JSON logs) goes to <data dir>/logs/<name>.log; its stderr is
 * held back until the child is ready (shown if it fails to start), then
 * passed through with the child's name.
 */
function start(name, nodeArgs, env) {
  const logFile = resolve(logDir, `${name}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, nodeArgs, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: logLevel, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // Closed: exited and its output read to the end (so that its last lines are shown).
  const closed = new Promise((done) => child.once('close', done));
  const entry = { name, child, output: [], ready: false, logFile, closed };
  child.stdout.pipe(log);
  child.stderr.on('data', (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      if (!entry.ready) entry.output.push(line);
      else process.stderr.write(line.startsWith(`${name}:`) ? `${line}\n` : `${name}: ${line}\n`);
    }
  });
  child.on('error', (err) => {
    console.error(`${name}: cannot start (${err.message})`);
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(
      `${name} exited (${signal ?? `code ${code}`}); stopping the rest. Its log: ${relative(process.cwd(), logFile)}`,
    );
    if (!entry.ready) {
      if (entry.output.length > 0)
        console.error(entry.output.map((l) => `${name}: ${l}`).join('\n'));
      console.error(
        'A port in use? VIGIL_DEMO_SERVER_PORT (default 9090) and VIGIL_DEMO_PORTS (default 3000,3001,3002) choose others.',
      );
    }
    void stop(1);
  });
  children.push(entry);
  return entry;
}

/** SIGTERM to every child, SIGKILL to those still running after STOP_TIMEOUT_MS; then exit. */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  const timer = setTimeout(() => {
    for (const e of children.filter(alive)) {
      console.error(`${e.name} did not stop within ${STOP_TIMEOUT_MS / 1000}s; killing it.`);
      e.child.kill('SIGKILL');
      exitCode = 1;
    }
  }, STOP_TIMEOUT_MS);
  // The traffic first (it waits for its requests in flight), so that the
  // services are not stopped under load; then the rest at once.
  const traffic = children.find((e) => e.name === 'traffic');
  if (traffic !== undefined && alive(traffic)) {
    traffic.child.kill('SIGTERM');
    await traffic.closed;
  }
  for (const e of children) if (alive(e)) e.child.kill('SIGTERM');
  await Promise.all(children.map((e) => e.closed));
  clearTimeout(timer);
  for (const e of children) {
    if (e.child.exitCode !== null && e.child.exitCode !== 0 && e.name !== 'traffic') exitCode = 1;
  }
  // Writes to a piped stderr are asynchronous: let the children's last lines
  // (the traffic's totals) out before exiting.
  process.stderr.write('', () => process.exit(exitCode));
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
// Should the launcher itself fail, its children must not outlive it.
process.on('exit', () => {
  for (const e of children) if (alive(e)) e.child.kill('SIGKILL');
});

async function waitUntil(what, probe) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!stopping) {
    if (await probe()) return true;
    if (Date.now() > deadline) {
      console.error(`${what} did not become ready within ${START_TIMEOUT_MS / 1000}s.`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function answers(url) {
  try {
    const res = await globalThis.fetch(url, { signal: globalThis.AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function failStart(entries) {
  if (stopping) return; // a child died: its exit handler has said so
  for (const e of entries) {
    if (e.output.length > 0) console.error(e.output.map((l) => `${e.name}: ${l}`).join('\n'));
  }
  void stop(1);
}

// The users service: instance i's /summary asks instance i+1 (a ring).
const services = servicePorts.map((port, i) =>
  start(`users-${i}`, ['examples/user-service/dist/main.js'], {
    PORT: String(port),
    HOST,
    USERS_DB: resolve(dataDir, `users-${i}.db`),
    PEER_URL: instances[(i + 1) % instances.length],
    VIGIL_FAULTS_ENABLED: 'true',
    VIGIL_FAULTS_TOKEN: token,
  }),
);
for (const [i, s] of services.entries()) {
  if (!(await waitUntil(s.name, () => answers(`${instances[i]}/readyz`)))) {
    failStart(services);
    await new Promise(() => {}); // stop() exits
  }
  s.ready = true;
  s.output.length = 0;
}

// A Ctrl-C during the start: stop() is under way and exits; start nothing more.
const halted = () => (stopping ? new Promise(() => {}) : Promise.resolve());
await halted();
const server = start('vigil', ['apps/server/dist/cli.js', 'server', '--config', configFile], {});
// Ready once its status lines are out (they end with the config line).
if (!(await waitUntil('vigil server', () => server.output.some((l) => /^\s+config:/.test(l))))) {
  failStart([server]);
  await new Promise(() => {});
}
const sloLine =
  server.output
    .find((l) => /^\s+slos:/.test(l))
    ?.trim()
    .replace(/^slos:\s*/, '') ?? '(not shown)';
server.ready = true;
server.output.length = 0;

await halted();
const traffic = start(
  'traffic',
  [
    'examples/traffic/traffic.mjs',
    ...instances,
    '--rate',
    String(peakRate),
    '--time-scale',
    String(timeScale),
  ],
  {},
);
// Running means sending: wait for the generator's first line, so that a stop
// right after start still finds it able to report its totals.
if (
  !(await waitUntil('traffic', () => traffic.output.some((l) => l.startsWith('traffic: sending'))))
) {
  failStart([traffic]);
  await new Promise(() => {});
}
traffic.ready = true;
traffic.output.length = 0;

writeFileSync(
  resolve(dataDir, 'demo.json'),
  JSON.stringify(
    {
      token,
      instances,
      server: serverUrl,
      fast,
      timeScale,
      config: configFile,
      processes: children.map((e) => ({ name: e.name, pid: e.child.pid })),
    },
    null,
    2,
  ) + '\n',
  { mode: 0o600 },
);

const vigil = 'node apps/server/dist/cli.js';
const serverFlag = serverPort === 9090 ? '' : ` --server ${serverUrl}`;
const lines = [
  '',
  `Vigil demo is running (Ctrl-C stops everything; data in ${shownDataDir}/, kept for the next start; logs in ${shownDataDir}/logs/)`,
  `  vigil server   ${serverUrl}   (Prometheus API, /api/v1/slos, /api/v1/alerts)`,
  `  user-service   ${instances.join('  ')}   (each /summary calls the next)`,
  `  traffic        up to ${peakRate} req/s, shaped like a day${fast ? ` that lasts ${(24 / timeScale) * 60} min` : ''}: reads, summaries, 404s, 400s`,
  `  slos           ${sloLine}`,
  `  fault admin    /_vigil/faults on each instance, token ${token} (also in ${shownDataDir}/demo.json)`,
];
if (fast) {
  lines.push(
    `FAST MODE (demo only): time scale ${timeScale}x — 30d SLO windows last 12h, the 1h page window 1m;`,
    '  scrape and evaluation every 1s. A 10% error spike pages within about a minute.',
  );
}
if (!fast) lines.push('To watch a budget burn in minutes rather than days: npm start -- --fast');
lines.push(
  'Try:',
  `  ${vigil} slo status${serverFlag}`,
  `  curl -sG ${serverUrl}/api/v1/query --data-urlencode 'query=sum by (instance, status) (rate(http_requests_total[1m]))'`,
  `  ${vigil} gameday run examples/gamedays/error-spike.yaml${serverFlag}${fast ? '' : '   (best with npm start -- --fast)'}`,
  '',
);
process.stderr.write(lines.join('\n') + '\n');
