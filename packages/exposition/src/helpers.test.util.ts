/**
 * Helpers shared by the exposition tests (not exported from the package).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/model';
import type { ExpositionFormat } from './format.js';
import type { ExpositionFamily } from './model.js';
import { collectExposition } from './parser.js';
import type { ParserOptions } from './parser.js';

/** Reads a fixture from `src/testdata`, also when running from `dist`. */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../src/testdata/${name}`, import.meta.url));
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Parses `chunks` with a streaming parser and gathers families as parseExposition does. */
export function parseChunks(
  format: ExpositionFormat,
  chunks: readonly (Uint8Array | string)[],
  options?: ParserOptions,
): ExpositionFamily[] {
  return collectExposition(
    format,
    (parser) => {
      for (const chunk of chunks) parser.push(chunk);
      parser.end();
    },
    options,
  );
}

/** What a parse attempt gave: families, or the code and position of its error. */
export type Outcome =
  | { ok: true; families: ExpositionFamily[] }
  | { ok: false; code: string; line: unknown; column: unknown; message: string };

/** Runs `parse`, requiring that it either succeeds or throws a VigilError. */
export function outcome(parse: () => ExpositionFamily[]): Outcome {
  try {
    return { ok: true, families: parse() };
  } catch (err) {
    if (!(err instanceof VigilError)) {
      assert.fail(`expected only VigilError, got ${String(err)}\n${(err as Error).stack ?? ''}`);
    }
    return {
      ok: false,
      code: err.code,
      line: err.details?.line,
      column: err.details?.column,
      message: err.message,
    };
  }
}

/** A small deterministic PRNG (mulberry32), shared with the other packages' tests. */
export { seededRandom as prng } from '@vigil/testing';
