/**
 * A server child process for the PromQL benchmark (Prometheus or `vigil
 * server`): started, waited for until `/-/ready` answers, stopped with
 * SIGTERM (SIGKILL after 15 s). Output is collected for error messages.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** A running server process. */
export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
  logs(): string;
}

/**
 * Spawns `command args`, which must listen on `url`, and resolves once its
 * `/-/ready` answers 200; throws with the collected output when it exits or
 * is not ready within `readyTimeoutMs`.
 */
export async function startServerProcess(
  name: string,
  command: string,
  args: readonly string[],
  url: string,
  readyTimeoutMs: number,
): Promise<ServerProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000, undefined, { ref: false })]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} was not ready within ${readyTimeoutMs / 1000} s:\n${log}`);
    }
    await sleep(200);
  }
  return { url, child, stop, logs: () => log };
}
