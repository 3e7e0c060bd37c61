/**
 * The version of `vigil`, read once from apps/server/package.json.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version in apps/server/package.json (`0.1.0`), or `unknown`. */
export function vigilVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    cached = pkg.version ?? 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}
