/**
 * Helpers shared by the parser, printer and JSON tests (no tests of its own).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Expr } from './ast.js';

/** The repository root (this file is packages/promql/{src,dist}/parser/…). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Where the upstream PromQL test scripts live (never copied into the repo). */
export const PEER_TESTS_DIR = resolve(REPO_ROOT, '../shared/peer-tests/promql');

/** One `eval` expression of a peer test file. */
export interface PeerQuery {
  readonly file: string;
  readonly line: number;
  readonly query: string;
}

const EVAL =
  /^\s*eval(?:_fail|_warn|_info|_ordered)?\s+(?:instant\s+at\s+\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+(.*)$/;

/** Every eval expression of the peer test files, or undefined when the folder is missing. */
export function peerQueries(): PeerQuery[] | undefined {
  if (!existsSync(PEER_TESTS_DIR)) return undefined;
  const out: PeerQuery[] = [];
  for (const file of readdirSync(PEER_TESTS_DIR)
    .filter((f) => f.endsWith('.test'))
    .sort()) {
    const lines = readFileSync(resolve(PEER_TESTS_DIR, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const m = EVAL.exec(text);
      if (m?.[1] !== undefined) out.push({ file, line: i + 1, query: m[1].trim() });
    });
  }
  return out;
}

/**
 * A plain comparable form of a tree: no positions, matchers as
 * `[type, name, value]` (sorted when `sortMatchers`, since the printer
 * sorts them as Prometheus does), non-finite numbers as strings.
 */
export function plain(expr: Expr, sortMatchers = false): unknown {
  return JSON.parse(
    JSON.stringify(expr, (key, value: unknown) => {
      if (key === 'pos') return undefined;
      if (key === 'matchers' && Array.isArray(value)) {
        const ms = (value as { type: string; name: string; value: string }[]).map((m) => [
          m.type,
          m.name,
          m.value,
        ]);
        return sortMatchers
          ? ms.sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1))
          : ms;
      }
      if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
      if (typeof value === 'number' && Object.is(value, -0)) return '-0';
      return value;
    }),
  );
}
