/**
 * The fuzz loop, run in a worker thread by fuzz.test.ts so that a hang can be
 * cut off and memory capped. Deterministic for a given seed.
 *
 * @module
 */
import { TextEncoder } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { VigilError } from '@vigil/model';
import type { ExpositionFormat } from './format.js';
import type { ExpositionFamily } from './model.js';
import { collectExposition, parseExposition } from './parser.js';
import type { ParserOptions } from './parser.js';
import { writeExposition } from './writer.js';
import { fixture, prng } from './helpers.test.util.js';

/** Input of the worker. */
export interface FuzzRequest {
  seed: number;
  /** Cases per kind (random bytes, random text, mutations). */
  cases: number;
}

/** One case that broke a property. */
export interface FuzzFailure {
  kind: string;
  index: number;
  format: ExpositionFormat;
  inputBase64: string;
  problem: string;
}

/** Output of the worker. */
export interface FuzzReport {
  parses: number;
  accepted: number;
  rejected: number;
  limited: number;
  roundTrips: number;
  slowestMs: number;
  failures: FuzzFailure[];
}

const TOKENS = [
  'a',
  'b',
  '_',
  ':',
  'foo',
  'le',
  'quantile',
  '{',
  '}',
  '=',
  '"',
  '\\',
  ',',
  '#',
  '# ',
  ' ',
  ' ',
  '\t',
  '\n',
  '\n',
  '\r',
  '0',
  '1',
  '9',
  '.',
  'e',
  '+',
  '-',
  'Inf',
  'NaN',
  'TYPE',
  'HELP',
  'UNIT',
  'EOF',
  '# EOF',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
  'untyped',
  '_total',
  '_bucket',
  '_count',
  '_sum',
  '_created',
  '_info',
  'ü',
  '🚀',
  '\u0000',
  '\uFEFF',
  '1520879607.789',
  ' # {',
];

const LIMITS: ParserOptions[] = [
  {},
  { maxLineBytes: 48, maxLabelsPerSample: 3, maxLabelNameLength: 4, maxLabelValueBytes: 6 },
  { maxSamples: 3, maxFamilies: 2 },
];

/** Valid payloads to mutate. */
function seeds(): { format: ExpositionFormat; bytes: Uint8Array }[] {
  const text = fixture('node-exporter.prom');
  const om = fixture('openmetrics.txt');
  const encoder = new TextEncoder();
  const small = encoder.encode(
    '# HELP x_total Counts ü \\\\ \\n.\n# TYPE x_total counter\nx_total{a="b\\"c",d="🚀"} 1 1395066363000\n' +
      '# TYPE h histogram\nh_bucket{le="0.1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 0.5\nh_count 2\n',
  );
  const smallOm = encoder.encode(
    '# TYPE x counter\n# HELP x Counts "ü" \\\\.\nx_total{a="b\\"c"} 1 1.5 # {t="🚀"} 2 3\nx_created 4\n' +
      '# TYPE h histogram\n# UNIT h seconds\n',
  );
  return [
    { format: 'text', bytes: text.subarray(0, 1500) },
    { format: 'text', bytes: small },
    { format: 'openmetrics', bytes: om },
    {
      format: 'openmetrics',
      bytes: encoder.encode('# TYPE q summary\nq{quantile="0.5"} 1\nq_sum 1\nq_count 1\n# EOF\n'),
    },
    { format: 'openmetrics', bytes: smallOm },
  ];
}

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
}

/** Parses `bytes` in the given pieces; checks buffering after each push. */
function parse(
  format: ExpositionFormat,
  bytes: Uint8Array,
  cuts: number[],
  options: ParserOptions,
): ExpositionFamily[] {
  const maxLine = options.maxLineBytes ?? 1024 * 1024;
  return collectExposition(
    format,
    (parser) => {
      let at = 0;
      for (const cut of [...cuts, bytes.length]) {
        parser.push(bytes.subarray(at, cut));
        at = cut;
        if (parser.bufferedBytes > maxLine) {
          throw new Error(`buffered ${parser.bufferedBytes} bytes`);
        }
      }
      parser.end();
    },
    options,
  );
}

function run(request: FuzzRequest): FuzzReport {
  const random = prng(request.seed);
  const int = (n: number): number => Math.floor(random() * n);
  const report: FuzzReport = {
    parses: 0,
    accepted: 0,
    rejected: 0,
    limited: 0,
    roundTrips: 0,
    slowestMs: 0,
    failures: [],
  };
  const fail = (
    kind: string,
    index: number,
    format: ExpositionFormat,
    bytes: Uint8Array,
    problem: string,
  ): void => {
    if (report.failures.length < 10) {
      report.failures.push({
        kind,
        index,
        format,
        inputBase64: Buffer.from(bytes).toString('base64'),
        problem,
      });
    }
  };

  const check = (
    kind: string,
    index: number,
    format: ExpositionFormat,
    bytes: Uint8Array,
    options: ParserOptions,
  ): void => {
    const cuts: number[] = [];
    const pieces = int(4);
    for (let p = 0; p < pieces; p++) cuts.push(int(bytes.length + 1));
    cuts.sort((x, y) => x - y);
    const start = performance.now();
    let families: ExpositionFamily[] | undefined;
    report.parses++;
    try {
      families = parse(format, bytes, cuts, options);
      report.accepted++;
    } catch (err) {
      if (!(err instanceof VigilError)) {
        fail(kind, index, format, bytes, `threw ${describeError(err)}`);
      } else if (err.code !== 'EXPOSITION_PARSE' && err.code !== 'EXPOSITION_LIMIT') {
        fail(kind, index, format, bytes, `unexpected code ${err.code}`);
      } else if (
        !Number.isInteger(err.details?.line) ||
        !Number.isInteger(err.details?.column) ||
        (err.details!.line as number) < 1 ||
        (err.details!.column as number) < 1
      ) {
        fail(kind, index, format, bytes, `bad position in ${err.message}`);
      } else if (err.code === 'EXPOSITION_LIMIT') {
        report.limited++;
      } else {
        report.rejected++;
      }
    }
    report.slowestMs = Math.max(report.slowestMs, performance.now() - start);
    if (families === undefined) return;
    // What was accepted can be written, and writing is stable after one normalising round.
    try {
      const first = writeExposition(families, format);
      const second = writeExposition(parseExposition(first, format), format);
      const third = writeExposition(parseExposition(second, format), format);
      if (second !== third) fail(kind, index, format, bytes, 'writer output is not stable');
      report.roundTrips++;
    } catch (err) {
      fail(kind, index, format, bytes, `round trip: ${describeError(err)}`);
    }
  };

  const formats: ExpositionFormat[] = ['text', 'openmetrics'];
  // 1. Random bytes: all 256 values, or biased toward the bytes of the grammar.
  const grammar = new TextEncoder().encode('abz_:{}=",# \t\n\r019.e+-\\');
  for (let i = 0; i < request.cases; i++) {
    const bytes = new Uint8Array(int(200));
    const biased = random() < 0.5;
    for (let k = 0; k < bytes.length; k++) {
      bytes[k] = biased && random() < 0.8 ? grammar[int(grammar.length)]! : int(256);
    }
    check('random bytes', i, formats[i % 2]!, bytes, LIMITS[int(LIMITS.length)]!);
  }
  // 2. Random text made of grammar tokens.
  const encoder = new TextEncoder();
  for (let i = 0; i < request.cases; i++) {
    let text = '';
    const n = int(60);
    for (let k = 0; k < n; k++) text += TOKENS[int(TOKENS.length)]!;
    if (i % 4 === 1) text += '\n# EOF\n';
    check('random text', i, formats[i % 2]!, encoder.encode(text), LIMITS[int(LIMITS.length)]!);
  }
  // 3. Mutations of valid payloads: flip, set, insert, delete, duplicate or swap lines, truncate.
  const valid = seeds();
  for (let i = 0; i < request.cases; i++) {
    const seed = valid[i % valid.length]!;
    let bytes: Uint8Array = seed.bytes;
    const mutations = 1 + int(2);
    for (let m = 0; m < mutations; m++) bytes = mutate(bytes, int, encoder);
    check('mutation', i, seed.format, bytes, i % 5 === 0 ? LIMITS[1 + int(2)]! : LIMITS[0]!);
  }
  return report;
}

function lineBounds(bytes: Uint8Array): [number, number][] {
  const lines: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 10) {
      lines.push([start, i + 1]);
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push([start, bytes.length]);
  return lines;
}

function mutate(bytes: Uint8Array, int: (n: number) => number, encoder: TextEncoder): Uint8Array {
  const at = int(bytes.length + 1);
  const out = Array.from(bytes);
  switch (int(7)) {
    case 0: // flip a bit
      if (at < out.length) out[at] = out[at]! ^ (1 << int(8));
      break;
    case 1: // set a byte
      if (at < out.length) out[at] = int(256);
      break;
    case 2: // insert a token
      out.splice(at, 0, ...encoder.encode(TOKENS[int(TOKENS.length)]));
      break;
    case 3: // delete a few bytes
      out.splice(at, 1 + int(4));
      break;
    case 4:
    case 5: {
      // duplicate a line, or swap two
      const lines = lineBounds(bytes);
      if (lines.length === 0) break;
      const [s1, e1] = lines[int(lines.length)]!;
      const [s2, e2] = lines[int(lines.length)]!;
      const first = out.slice(s1, e1);
      if (int(2) === 0) {
        out.splice(e2, 0, ...first);
      } else if (s1 !== s2) {
        const second = out.slice(s2, e2);
        // Replace the later line first so that the earlier one's offsets still hold.
        if (s1 < s2) {
          out.splice(s2, e2 - s2, ...first);
          out.splice(s1, e1 - s1, ...second);
        } else {
          out.splice(s1, e1 - s1, ...second);
          out.splice(s2, e2 - s2, ...first);
        }
      }
      break;
    }
    default: // truncate
      out.length = at;
  }
  return Uint8Array.from(out);
}

const report = run(workerData as FuzzRequest);
parentPort!.postMessage(report);
