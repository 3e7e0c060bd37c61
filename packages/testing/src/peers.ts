import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a test needs a real peer (promtool, Prometheus) that is missing:
 * on CI (`CI` set) that is a failure, because `.ci/run` installs the peers;
 * on a developer machine the test is skipped with a message that says how
 * to install it.
 *
 * Returns the path of the tool, or undefined after reporting a skip via `skip`.
 */
export function requireTool(
  name: string,
  debianPackage: string,
  skip: (message: string) => void,
): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status === 0 && path !== '') return path;
  const message = `${name} is not installed: apt-get install ${debianPackage} (.ci/run does this)`;
  if (process.env.CI) throw new Error(`${message}; CI must have it.`);
  skip(message);
  return undefined;
}

/** Result of running a command to completion. */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with `input` on stdin and collects its output. */
export function runWithInput(
  command: string,
  args: readonly string[],
  input: string,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** A free TCP port on 127.0.0.1 (racy by nature, good enough for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running Prometheus server started for a test. */
export interface PrometheusPeer {
  /** Base URL of its HTTP API, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Stops it and removes its data directory. */
  stop(): Promise<void>;
  /** Everything it logged so far (for failure messages). */
  logs(): string;
}

/**
 * Starts Debian's `prometheus` binary on loopback with `configYaml`, a fresh
 * data directory and the given feature flags, and waits until it is ready.
 */
export async function startPrometheus(
  binary: string,
  configYaml: string,
  options: { features?: readonly string[]; readyTimeoutMs?: number } = {},
): Promise<PrometheusPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-prom-'));
  writeFileSync(join(dir, 'prometheus.yml'), configYaml);
  const port = await freePort();
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    ...(options.features?.length ? [`--enable-feature=${options.features.join(',')}`] : []),
  ];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${log}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready in time:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stop, logs: () => log };
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined, or times out. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
