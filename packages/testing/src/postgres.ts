/**
 * A throwaway PostgreSQL server for tests: Debian's binaries, a fresh data
 * directory in a temp dir, trust authentication on loopback, a free port.
 * Each call gets its own directory and port, so test files may run
 * concurrently.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './peers.js';

/** Where Debian installs the server binaries, one directory per major version. */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql';

/** The OS user that runs the server when the tests run as root (created by the package). */
const PG_OS_USER = 'postgres';

/** A running PostgreSQL server started by {@link startPostgres}. */
export interface PostgresPeer {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` (trust auth, no password). */
  connectionString: string;
  /** Always `127.0.0.1`. */
  host: string;
  /** TCP port on loopback. */
  port: number;
  /** Database superuser (`postgres`). */
  user: string;
  /** Database to connect to (`postgres`). */
  database: string;
  /** Directory holding the server's Unix socket (inside the temp dir). */
  socketDir: string;
  /** Major version of the binaries, e.g. `15`. */
  version: string;
  /**
   * Stops the server and removes its temp dir. Idempotent. Sessions still
   * open get 3 s to close before they are terminated.
   */
  stop(): Promise<void>;
  /** Everything initdb and the server logged so far (for failure messages). */
  logs(): string;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** How long to wait for the server to accept connections (default 30,000 ms). */
  readyTimeoutMs?: number;
}

/** The newest `/usr/lib/postgresql/<version>/bin` holding initdb, pg_ctl and postgres. */
function findDebianBinDir(): { binDir: string; version: string } | undefined {
  let versions: string[];
  try {
    versions = readdirSync(DEBIAN_PG_ROOT);
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  for (const version of versions) {
    const binDir = join(DEBIAN_PG_ROOT, version, 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(binDir, b)))) {
      return { binDir, version };
    }
  }
  return undefined;
}

/**
 * Installs Debian's `postgresql` package (as root, or through passwordless
 * sudo). Waits for the dpkg lock, so concurrent callers install it once.
 * Returns what apt-get printed when it failed.
 */
function installPostgresPackage(): string | undefined {
  const root = process.getuid?.() === 0;
  const prefix = root ? [] : ['sudo', '-n'];
  if (!root && spawnSync('sh', ['-c', 'command -v sudo']).status !== 0) {
    return 'not root and no sudo';
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) => {
    const [cmd, ...rest] = [...prefix, 'apt-get', '-o', 'DPkg::Lock::Timeout=300', ...args];
    return spawnSync(cmd!, rest, { env, encoding: 'utf8', timeout: 600_000 });
  };
  const install = ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'];
  let result = apt(install);
  if (result.status !== 0) {
    // Empty package lists (a fresh container) make the first install fail.
    apt(['update', '-qq']);
    result = apt(install);
  }
  return result.status === 0 ? undefined : `${result.stdout}${result.stderr}`.slice(-2000);
}

/**
 * Finds Debian's PostgreSQL binaries, installing the `postgresql` package
 * with apt-get when they are missing outside CI. Where they stay missing:
 * on CI (`CI` set) that is a failure, because `.ci/run` installs them; on a
 * developer machine the test is skipped through `skip`.
 */
function requirePostgresBinaries(
  skip: (message: string) => void,
): { binDir: string; version: string } | undefined {
  const found = findDebianBinDir();
  if (found !== undefined) return found;
  const message =
    `PostgreSQL server binaries are not installed (${DEBIAN_PG_ROOT}/<version>/bin/initdb): ` +
    'apt-get install postgresql (.ci/run does this)';
  if (process.env.CI) throw new Error(`${message}; CI must have them.`);
  const failure = installPostgresPackage();
  const installed = findDebianBinDir();
  if (installed !== undefined) return installed;
  skip(failure === undefined ? message : `${message}; installing failed: ${failure}`);
  return undefined;
}

/** Runs a command, as the `postgres` OS user when we are root (PostgreSQL refuses root). */
function asServerUser(command: string, args: readonly string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, [...args]];
  return ['runuser', ['-u', PG_OS_USER, '--', command, ...args]];
}

function run(command: string, args: readonly string[]): Promise<{ ok: boolean; output: string }> {
  const [cmd, argv] = asServerUser(command, args);
  return new Promise((resolve) => {
    // Asynchronous, so that concurrent callers in one process overlap.
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = `$ ${command} ${args.join(' ')}\n`;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.once('error', (err) => resolve({ ok: false, output: `${output}${String(err)}` }));
    child.once('close', (status) => resolve({ ok: status === 0, output }));
  });
}

/** The server's own status line in `postmaster.pid` (`ready` once it accepts connections). */
function pidFileStatus(dataDir: string): { pid: number; status: string } | undefined {
  try {
    const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number.parseInt(lines[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? { pid, status: (lines[7] ?? '').trim() } : undefined;
  } catch {
    return undefined;
  }
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits for `promise` at most `ms`; the timer is cleared, so it never holds the process open. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a PostgreSQL server for a test and waits until it accepts
 * connections: Debian's binaries (installed with apt-get when missing, see
 * below), `initdb` into a new temp dir with trust authentication, the
 * server on `127.0.0.1` and a free port, its Unix socket in the temp dir,
 * durability switched off for speed. When the tests run as root, initdb and
 * the server run as the `postgres` OS user, which owns the temp dir.
 *
 * When the binaries are missing and cannot be installed: on CI (`CI` set)
 * this throws; elsewhere it reports a skip through `skip` and returns
 * undefined, like `requireTool`. Throws when the server does not start.
 *
 * Each call has its own directory and port; call `stop()` when done (a
 * server left running is killed when the process exits).
 */
export async function startPostgres(
  skip: (message: string) => void,
  options: StartPostgresOptions = {},
): Promise<PostgresPeer | undefined> {
  const binaries = requirePostgresBinaries(skip);
  if (binaries === undefined) return undefined;
  const { binDir, version } = binaries;
  const root = process.getuid?.() === 0;

  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  const dataDir = join(dir, 'data');
  let log = '';
  let child: ChildProcess | undefined;

  const killNow = (): void => {
    // Synchronous, for process exit: immediate shutdown, then remove the files.
    const pid = pidFileStatus(dataDir)?.pid;
    try {
      if (pid !== undefined) process.kill(pid, 'SIGQUIT');
      else if (child?.exitCode === null) child.kill('SIGQUIT');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killNow);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.removeListener('exit', killNow);
      const running = child;
      if (running !== undefined && running.exitCode === null && running.signalCode === null) {
        const exited = new Promise((resolve) => running.once('exit', resolve));
        // Signal the postmaster itself: under runuser the child is runuser.
        const signal = (sig: NodeJS.Signals): void => {
          try {
            const pid = pidFileStatus(dataDir)?.pid;
            if (pid !== undefined) process.kill(pid, sig);
            else running.kill(sig);
          } catch {
            // already gone
          }
        };
        const isRunning = (): boolean => running.exitCode === null && running.signalCode === null;
        // Smart shutdown (SIGTERM) first: it lets sessions that are closing
        // finish, so a client still ending its connection (pool.end()
        // resolves before the sockets close) does not get "terminating
        // connection due to administrator command". Then fast (SIGINT), then
        // immediate (SIGQUIT).
        for (const [sig, waitMs] of [
          ['SIGTERM', 3_000],
          ['SIGINT', 10_000],
          ['SIGQUIT', 5_000],
        ] as const) {
          if (!isRunning()) break;
          signal(sig);
          await within(exited, waitMs);
        }
        if (isRunning()) running.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    if (root) {
      const chown = spawnSync('chown', ['-R', `${PG_OS_USER}:`, dir], { encoding: 'utf8' });
      if (chown.status !== 0) {
        throw new Error(
          `Could not give ${dir} to the "${PG_OS_USER}" user (${chown.stderr.trim()}); ` +
            'PostgreSQL refuses to run as root and needs that user (the Debian package creates it).',
        );
      }
    }
    const init = await run(join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    log += init.output;
    if (!init.ok) throw new Error(`initdb failed:\n${log}`);

    const readyDeadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    // The free port may be taken by another test between freePort() and the
    // bind: try again with a new one.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const [cmd, argv] = asServerUser(join(binDir, 'postgres'), [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${dir}`,
        // A test database: durability buys nothing and costs time.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=50',
        '-c',
        'shared_buffers=16MB',
      ]);
      const server = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = server;
      server.stdout?.setEncoding('utf8').on('data', (d: string) => (log += d));
      server.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
      const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
      for (;;) {
        if (server.exitCode !== null || server.signalCode !== null) break;
        if (pidFileStatus(dataDir)?.status === 'ready' && (await tcpAccepts(port))) {
          const user = 'postgres';
          const database = 'postgres';
          return {
            connectionString: `postgresql://${user}@127.0.0.1:${port}/${database}`,
            host: '127.0.0.1',
            port,
            user,
            database,
            socketDir: dir,
            version,
            stop,
            logs: () => log,
          };
        }
        if (Date.now() > readyDeadline) {
          throw new Error(`PostgreSQL was not ready within the timeout:\n${log}`);
        }
        await within(exited, 50);
      }
      const portTaken = /could not bind|Address already in use/i.test(log);
      if (!portTaken || attempt >= 3) {
        throw new Error(`PostgreSQL exited with ${server.exitCode ?? server.signalCode}:\n${log}`);
      }
      log += `\n(port ${port} was taken; retrying on another)\n`;
    }
  } catch (err) {
    await stop();
    throw err;
  }
}
