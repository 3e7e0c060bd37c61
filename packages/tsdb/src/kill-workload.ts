/**
 * The workload of the kill-9 durability test, shared by the child process
 * (kill-worker.ts) and the test that checks what survived (kill.test.ts).
 *
 * @internal
 * @module
 */
import { STALE_NAN } from '@vigil/model';

/** Series the worker writes. */
export const KILL_SERIES = 400;
/** Timestamp (ms) of batch `b`. */
export function killTimestamp(b: number): number {
  return 1_700_000_000_000 + b * 1000;
}
/** Value of series `i` in batch `b`: counters, gauges and now and then a staleness marker. */
export function killValue(i: number, b: number): number {
  if ((i + b) % 211 === 0) return STALE_NAN;
  if (i % 2 === 0) return b * (i + 1);
  return Math.sin(i * 1000 + b) * 1e3;
}
/** Labels of series `i`. */
export function killLabels(i: number): string[] {
  return [
    '__name__',
    i % 2 === 0 ? 'kill_counter_total' : 'kill_gauge',
    'i',
    String(i),
    'job',
    'kill',
  ];
}
