/**
 * Readers of Linux `/proc/self`: memory sizes, open and maximum file
 * descriptors. Each read is a few microseconds of synchronous work on a
 * virtual file system that never blocks on a disk. Every reader throws on
 * failure; callers decide how to report it.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Memory figures of `/proc/self/status`, in bytes. */
export interface ProcStatus {
  /** `VmSize`: virtual memory size. */
  virtualBytes: number;
  /** `VmRSS`: resident set size. */
  residentBytes: number;
  /** `VmData`: size of the data segment (what prom-client calls the process heap). */
  dataBytes: number;
}

/** True when `/proc/self` exists and can be read (Linux). */
export function hasProcFs(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    readFileSync('/proc/self/status', 'latin1');
    return true;
  } catch {
    return false;
  }
}

/** The value in bytes of a `Key:   1234 kB` line of `/proc/self/status`, or NaN. */
function kibField(text: string, key: string): number {
  const at = text.indexOf('\n' + key + ':');
  if (at < 0) return NaN;
  const end = text.indexOf('\n', at + 1);
  const line = text.slice(at + key.length + 2, end < 0 ? undefined : end);
  const match = /(\d+)\s*kB/.exec(line);
  return match === null ? NaN : Number(match[1]) * 1024;
}

/** Parses the memory lines of `/proc/self/status` text (exported for tests). */
export function parseProcStatus(text: string): ProcStatus {
  const withNewline = '\n' + text;
  return {
    virtualBytes: kibField(withNewline, 'VmSize'),
    residentBytes: kibField(withNewline, 'VmRSS'),
    dataBytes: kibField(withNewline, 'VmData'),
  };
}

/** Reads `/proc/self/status`. */
export function readProcStatus(): ProcStatus {
  return parseProcStatus(readFileSync('/proc/self/status', 'latin1'));
}

/** Number of open file descriptors, not counting the one used to list them. */
export function countOpenFds(): number {
  return readdirSync('/proc/self/fd').length - 1;
}

/**
 * Parses the soft "Max open files" limit from `/proc/self/limits` text
 * (exported for tests): a number, `Infinity` for `unlimited`, NaN when absent.
 */
export function parseMaxFds(text: string): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith('Max open files')) continue;
    const soft = line.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return Infinity;
    const value = Number(soft);
    return Number.isFinite(value) ? value : NaN;
  }
  return NaN;
}

/** The soft limit on open file descriptors (`ulimit -n`), the bound that `EMFILE` hits. */
export function readMaxFds(): number {
  return parseMaxFds(readFileSync('/proc/self/limits', 'latin1'));
}
