/**
 * Helpers shared by the exposition tests (not exported from the package).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/model';
import type { ExpositionFormat } from './format.js';
import type { ExpositionFamily, ExpositionSample } from './model.js';
import { ExpositionParser } from './parser.js';
import type { FamilyMetadata, ParserOptions } from './parser.js';

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
  const order: FamilyMetadata[] = [];
  const samples = new Map<FamilyMetadata, ExpositionSample[]>();
  const touch = (family: FamilyMetadata): ExpositionSample[] => {
    let list = samples.get(family);
    if (list === undefined) {
      list = [];
      samples.set(family, list);
      order.push(family);
    }
    return list;
  };
  const parser = new ExpositionParser(
    format,
    {
      family: touch,
      sample(family, name, labels, value, timestampMs, exemplar) {
        const sample: { -readonly [K in keyof ExpositionSample]: ExpositionSample[K] } = {
          name,
          labels,
          value,
        };
        if (timestampMs !== undefined) sample.timestampMs = timestampMs;
        if (exemplar !== undefined) sample.exemplar = exemplar;
        touch(family).push(sample);
      },
    },
    options,
  );
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return order.map((state) => {
    const family: { -readonly [K in keyof ExpositionFamily]: ExpositionFamily[K] } = {
      name: state.name,
      type: state.type,
      samples: samples.get(state)!,
    };
    if (state.help !== undefined) family.help = state.help;
    if (state.unit !== undefined) family.unit = state.unit;
    return family;
  });
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

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
