/**
 * Streaming parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0.0.
 *
 * Design (the scraper drives it):
 * - `push(chunk)` / `end()`: chunks may split anywhere, inside a multi-byte
 *   UTF-8 sequence or a `\r\n` included. The parser works on the bytes of each
 *   chunk in place; only a line that straddles two chunks is copied, into a
 *   buffer that may never grow past `maxLineBytes`, so a stream without line
 *   feeds fails at the limit instead of being buffered whole.
 * - Samples go to a sink, one call per sample, as they are parsed. A sink
 *   rather than an array per push: no intermediate sample objects, no array
 *   growth, and the consumer (the scraper's appender) sees each sample while it
 *   is hot. The scraper needs nothing more: it can key its series cache on
 *   {@link ExpositionParser.seriesText} and keeps nothing from the parser.
 * - Labels are flat `[name, value, name, value, ...]` arrays, one fresh array
 *   per sample (the consumer may keep it). Names and values go through a
 *   {@link StringTable}: a string is created once per distinct byte sequence
 *   and then reused, so a scrape allocates one small array per sample and
 *   almost no strings, and the strings handed out are compact copies that do
 *   not pin the input buffers.
 * - Bytes are read with typed-array loads, no regular expressions, numbers
 *   converted without allocating (number.ts). UTF-8 is validated where
 *   non-ASCII bytes may appear (label values, HELP text, comments).
 *
 * Errors are `VigilError`s: `EXPOSITION_PARSE` for malformed input,
 * `EXPOSITION_LIMIT` for input beyond the limits; the message starts with
 * `line L, column C:` (1-based; the column counts Unicode code points) and
 * `details` holds `{ line, column, problem, format }`. Errors thrown by the
 * sink propagate unchanged (a thrown non-Error value is wrapped in a
 * VigilError). After any error the parser is failed: further
 * calls throw the same error. As OpenMetrics requires, a failed exposition is
 * invalid as a whole: discard the samples delivered before the error.
 *
 * @module
 */
import { Buffer } from 'node:buffer';
import { ErrorCodes, VigilError } from '@vigil/model';
import type { ErrorCode } from '@vigil/model';
import type { ExpositionFormat } from './format.js';
import type {
  Exemplar,
  ExpositionFamily,
  ExpositionSample,
  LabelPairs,
  MetricType,
} from './model.js';
import { parseIntegerTimestamp, parseNumber } from './number.js';
import { codePointCount, firstInvalidUtf8, utf8SequenceLength } from './utf8.js';

/** Bounds on what one exposition may contain. Defaults in {@link DEFAULT_PARSER_LIMITS}. */
export interface ParserLimits {
  /** Longest line in bytes, line feed excluded. Default 1 MiB. */
  readonly maxLineBytes?: number;
  /** Most labels on one sample (and on one exemplar). Default 256. */
  readonly maxLabelsPerSample?: number;
  /** Longest label name (names are ASCII: bytes = characters). Default 1,024. */
  readonly maxLabelNameLength?: number;
  /** Longest label value in bytes, as written (escaped). Default 64 KiB. */
  readonly maxLabelValueBytes?: number;
  /** Most samples in one exposition. Default unlimited. */
  readonly maxSamples?: number;
  /** Most metric families in one exposition (bounds the parser's own bookkeeping). Default 100,000. */
  readonly maxFamilies?: number;
}

/** Options of an {@link ExpositionParser}: limits, and an optional shared {@link StringTable}. */
export interface ParserOptions extends ParserLimits {
  /**
   * Strings table to reuse, for example one per scrape target, so that
   * successive scrapes of the same target allocate no strings at all.
   * Default: a fresh table per parser.
   */
  readonly strings?: StringTable;
}

/** The limits used for fields a {@link ParserLimits} leaves out. */
export const DEFAULT_PARSER_LIMITS: Readonly<Required<ParserLimits>> = Object.freeze({
  maxLineBytes: 1024 * 1024,
  maxLabelsPerSample: 256,
  maxLabelNameLength: 1024,
  maxLabelValueBytes: 64 * 1024,
  maxSamples: Infinity,
  maxFamilies: 100_000,
});

/**
 * What the parser knows about a metric family. The object is shared by all
 * samples of the family; `help` and `unit` can be filled in by metadata lines
 * that follow the sink's `family` call (never after the family's first
 * sample in OpenMetrics; in the text format a `# HELP` may come late).
 */
export interface FamilyMetadata {
  /** Family name: from `# TYPE`/`# HELP`/`# UNIT`, or the sample name for a family without metadata. */
  readonly name: string;
  /** `untyped` (text) or `unknown` (OpenMetrics) when no `# TYPE` line said otherwise. */
  readonly type: MetricType;
  /** Unescaped HELP text, or undefined. */
  readonly help: string | undefined;
  /** OpenMetrics UNIT, or undefined. */
  readonly unit: string | undefined;
}

/**
 * Receives what the parser finds, synchronously, in exposition order, from
 * within `push` and `end`. Implementations must not call the parser back
 * except for {@link ExpositionParser.seriesText}.
 */
export interface ExpositionSink {
  /** A family starts (at its first metadata line or first sample). Optional. */
  family?(family: FamilyMetadata): void;
  /**
   * One sample. `labels` is a fresh flat name/value array the sink may keep;
   * equal names and values are usually the same string objects across
   * samples. `timestampMs` is integer milliseconds (OpenMetrics seconds are
   * converted and rounded).
   */
  sample(
    family: FamilyMetadata,
    name: string,
    labels: LabelPairs,
    value: number,
    timestampMs: number | undefined,
    exemplar: Exemplar | undefined,
  ): void;
}

// Bytes.
const TAB = 9;
const LF = 10;
const CR = 13;
const SP = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const EQ = 61;
const BACKSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;

// Character classes for ASCII.
const NAME_START = 1; // [a-zA-Z_:]
const NAME_CHAR = 2; // [a-zA-Z0-9_:]
const LABEL_START = 4; // [a-zA-Z_]
const LABEL_CHAR = 8; // [a-zA-Z0-9_]
const CLASS = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const digit = c >= 48 && c <= 57;
  if (letter) CLASS[c] = NAME_START | NAME_CHAR | LABEL_START | LABEL_CHAR;
  else if (digit) CLASS[c] = NAME_CHAR | LABEL_CHAR;
  else if (c === 58) CLASS[c] = NAME_START | NAME_CHAR;
}

// FNV-1a, 32 bits.
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

// What a sample is to its family (OpenMetrics suffix semantics).
const ROLE_PLAIN = 0; // the family name itself
const ROLE_TOTAL = 1;
const ROLE_CREATED = 2;
const ROLE_BUCKET = 3;
const ROLE_COUNT = 4;
const ROLE_SUM = 5;
const ROLE_GCOUNT = 6;
const ROLE_GSUM = 7;
const ROLE_INFO = 8;
const NOT_IN_FAMILY = -1;
const WRONG_SUFFIX = -2;

const SUFFIXES: readonly (readonly [string, number])[] = [
  ['_total', ROLE_TOTAL],
  ['_created', ROLE_CREATED],
  ['_bucket', ROLE_BUCKET],
  ['_count', ROLE_COUNT],
  ['_sum', ROLE_SUM],
  ['_gcount', ROLE_GCOUNT],
  ['_gsum', ROLE_GSUM],
  ['_info', ROLE_INFO],
];

/** Which suffix roles an OpenMetrics family of each type has. */
function omAllows(type: MetricType, role: number): boolean {
  switch (type) {
    case 'counter':
      return role === ROLE_TOTAL || role === ROLE_CREATED;
    case 'histogram':
      return (
        role === ROLE_BUCKET || role === ROLE_COUNT || role === ROLE_SUM || role === ROLE_CREATED
      );
    case 'gaugehistogram':
      return role === ROLE_BUCKET || role === ROLE_GCOUNT || role === ROLE_GSUM;
    case 'summary':
      return (
        role === ROLE_PLAIN || role === ROLE_COUNT || role === ROLE_SUM || role === ROLE_CREATED
      );
    case 'info':
      return role === ROLE_INFO;
    default:
      return role === ROLE_PLAIN;
  }
}

const OM_SUFFIXES_TEXT: Readonly<Record<string, string>> = {
  counter: '_total or _created',
  histogram: '_bucket, _count, _sum or _created',
  gaugehistogram: '_bucket, _gcount or _gsum',
  info: '_info',
};

/**
 * The type words of each format, mapped to the literals themselves: a family
 * keeps the canonical (internalized) string rather than a copy decoded from
 * the input, so that comparing types is a pointer comparison.
 */
function typeTable(types: readonly MetricType[]): ReadonlyMap<string, MetricType> {
  return new Map(types.map((t) => [t, t]));
}
const TEXT_TYPES = typeTable(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const OM_TYPES = typeTable([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
]);

// What checkOmSample checks on every sample of an OpenMetrics family.
const OM_CHECK_NONE = 0;
const OM_CHECK_BUCKETS = 1; // histogram, gaugehistogram: `le` and bucket order
const OM_CHECK_QUANTILES = 2; // summary: `quantile`

function omCheckOf(type: MetricType): number {
  return type === 'histogram' || type === 'gaugehistogram'
    ? OM_CHECK_BUCKETS
    : type === 'summary'
      ? OM_CHECK_QUANTILES
      : OM_CHECK_NONE;
}

const META_TYPE = 0;
const META_HELP = 1;
const META_UNIT = 2;
const META_KEYWORDS = ['TYPE', 'HELP', 'UNIT'] as const;

const EMPTY_LABELS: LabelPairs = Object.freeze([]);
const EMPTY_BYTES = Buffer.alloc(0);
const EMPTY_VIEW = viewOf(EMPTY_BYTES);

/** OpenMetrics: "combined length of the label names and values of an Exemplar's LabelSet". */
const MAX_EXEMPLAR_CODE_POINTS = 128;

const TABLE_SIZE = 4096; // slots; a power of two
const TABLE_MAX_STRING_BYTES = 128;
const TABLE_ARENA_BYTES = 256 * 1024;

/**
 * Strings by their UTF-8 bytes: a direct-mapped cache that hands out the same
 * string object for the same bytes, checked byte for byte, so that a name or
 * label value is decoded once instead of once per sample. Bounded: 4,096
 * slots, strings of at most 128 bytes, an arena of their bytes that grows
 * from 16 KiB to 256 KiB and is then cleared when full. Share one between the parsers of successive scrapes of a target to
 * keep its strings across scrapes; one parser at a time (not thread-safe,
 * and nothing in JavaScript needs it to be).
 */
export class StringTable {
  private readonly hashes = new Int32Array(TABLE_SIZE);
  private readonly offsets = new Int32Array(TABLE_SIZE);
  private readonly lengths = new Int32Array(TABLE_SIZE).fill(-1);
  private readonly values: string[] = new Array<string>(TABLE_SIZE).fill('');
  /** Bytes of the cached strings; starts small and doubles up to TABLE_ARENA_BYTES. */
  private arena = Buffer.allocUnsafe(16 * 1024);
  private used = 0;

  /**
   * The string of `b[start, end)`, whose FNV-1a hash is `hash`. `ascii` says
   * the bytes are all below 0x80; otherwise they must be valid UTF-8.
   * @internal
   */
  get(b: Buffer, start: number, end: number, hash: number, ascii: boolean): string {
    const len = end - start;
    const slot = (hash ^ (hash >>> 16)) & (TABLE_SIZE - 1);
    if (this.lengths[slot] === len && this.hashes[slot] === hash) {
      const arena = this.arena;
      let o = this.offsets[slot]!;
      let k = start;
      while (k < end && arena[o] === b[k]) {
        k++;
        o++;
      }
      if (k === end) return this.values[slot]!;
    }
    const value = b.toString(ascii ? 'latin1' : 'utf8', start, end);
    if (len <= TABLE_MAX_STRING_BYTES) {
      if (this.used + len > this.arena.length) {
        if (this.arena.length < TABLE_ARENA_BYTES) {
          const grown = Buffer.allocUnsafe(2 * this.arena.length);
          this.arena.copy(grown, 0, 0, this.used);
          this.arena = grown;
        } else {
          this.lengths.fill(-1);
          this.used = 0;
        }
      }
      b.copy(this.arena, this.used, start, end);
      this.hashes[slot] = hash;
      this.offsets[slot] = this.used;
      this.lengths[slot] = len;
      this.values[slot] = value;
      this.used += len;
    }
    return value;
  }
}

/** The parser's per-family state; handed to the sink as {@link FamilyMetadata}. */
class FamilyState implements FamilyMetadata {
  help: string | undefined = undefined;
  unit: string | undefined = undefined;
  typeSeen = false;
  helpSeen = false;
  /** OpenMetrics: which per-sample checks the type needs (OM_CHECK_*). */
  omCheck = OM_CHECK_NONE;
  unitSeen = false;
  hasSamples = false;
  /** Sample names seen in this family and their roles. */
  readonly sampleNames: string[] = [];
  readonly sampleRoles: number[] = [];
  /** OpenMetrics histograms: labels of the last bucket and its bound. */
  pointLabels: LabelPairs | null = null;
  lastLe = -Infinity;
  /** OpenMetrics histograms: the `le` values and bounds of recent buckets by position in their point. */
  readonly leTexts: string[] = [];
  readonly leBounds: number[] = [];
  leCursor = 0;

  constructor(
    readonly name: string,
    public type: MetricType,
  ) {}

  remember(name: string, role: number): void {
    if (this.sampleNames.length < 8) {
      this.sampleNames.push(name);
      this.sampleRoles.push(role);
    }
  }
}

function isBlank(c: number): boolean {
  return c === SP || c === TAB;
}

/** Whether `b[at, ...)` starts with the ASCII `word`. */
function startsWithAscii(b: Uint8Array, at: number, end: number, word: string): boolean {
  if (end - at < word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** The character at `i` for messages: JSON-quoted, or the byte in hex when it is not UTF-8. */
function describe(b: Buffer, i: number, end: number): string {
  if (i >= end) return 'the end of the line';
  const c = b[i]!;
  if (c < 0x80) return JSON.stringify(String.fromCharCode(c));
  const n = Math.min(utf8SequenceLength(c), end - i);
  if (n > 1 && firstInvalidUtf8(b, i, i + n) === i + n) {
    return JSON.stringify(b.toString('utf8', i, i + n));
  }
  return `byte 0x${c.toString(16)}`;
}

/** A token for messages, bounded so hostile input cannot inflate them. */
function excerpt(b: Buffer, start: number, end: number): string {
  const long = end - start > 40;
  return JSON.stringify(b.toString('utf8', start, long ? start + 40 : end) + (long ? '…' : ''));
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text);
}

function indexOfLabel(labels: LabelPairs, name: string): number {
  for (let i = 0; i < labels.length; i += 2) if (labels[i] === name) return i;
  return -1;
}

/**
 * Whether `a[i, i + len)` and `b[j, j + len)` hold the same bytes: eight at a
 * time as float64 loads (equal doubles other than ±0 have equal bits; NaNs
 * and zeros compare unequal here and fall through to the exact int32 and
 * byte loads), which on V8 is markedly faster than int32 loads.
 */
function sameBytes(a: DataView, i: number, b: DataView, j: number, len: number): boolean {
  let k = 0;
  for (; k + 8 <= len; k += 8) {
    const x = a.getFloat64(i + k, true);
    if (x !== b.getFloat64(j + k, true) || x === 0) break;
  }
  for (; k + 4 <= len; k += 4)
    if (a.getInt32(i + k, true) !== b.getInt32(j + k, true)) return false;
  for (; k < len; k++) if (a.getUint8(i + k) !== b.getUint8(j + k)) return false;
  return true;
}

/** Length of the common prefix of `a[i, i + max)` and `b[j, j + max)`; eight bytes at a time as in {@link sameBytes}. */
function commonPrefix(a: DataView, i: number, b: DataView, j: number, max: number): number {
  let k = 0;
  for (; k + 8 <= max; k += 8) {
    const x = a.getFloat64(i + k, true);
    if (x !== b.getFloat64(j + k, true) || x === 0) break;
  }
  while (k + 4 <= max && a.getInt32(i + k, true) === b.getInt32(j + k, true)) k += 4;
  while (k < max && a.getUint8(i + k) === b.getUint8(j + k)) k++;
  return k;
}

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.length);
}

/** The first `k` strings of `out`, as an exactly sized array (literals for the usual sizes). */
function copyLabels(out: string[], k: number): LabelPairs {
  switch (k) {
    case 0:
      return EMPTY_LABELS;
    case 2:
      return [out[0]!, out[1]!];
    case 4:
      return [out[0]!, out[1]!, out[2]!, out[3]!];
    case 6:
      return [out[0]!, out[1]!, out[2]!, out[3]!, out[4]!, out[5]!];
    case 8:
      return [out[0]!, out[1]!, out[2]!, out[3]!, out[4]!, out[5]!, out[6]!, out[7]!];
    default:
      return out.slice(0, k);
  }
}

/** A copy of `labels` whose last value is `value` (literals for the usual sizes). */
function withLastValue(labels: LabelPairs, value: string): LabelPairs {
  switch (labels.length) {
    case 2:
      return [labels[0]!, value];
    case 4:
      return [labels[0]!, labels[1]!, labels[2]!, value];
    case 6:
      return [labels[0]!, labels[1]!, labels[2]!, labels[3]!, labels[4]!, value];
    case 8:
      return [
        labels[0]!,
        labels[1]!,
        labels[2]!,
        labels[3]!,
        labels[4]!,
        labels[5]!,
        labels[6]!,
        value,
      ];
    default: {
      const out = labels.slice();
      out[out.length - 1] = value;
      return out;
    }
  }
}

/** Whether two label sets are equal once their `le` labels are ignored. */
function sameIgnoringLe(a: LabelPairs, b: LabelPairs): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && a[i] === 'le') i += 2;
    while (j < b.length && b[j] === 'le') j += 2;
    if (i >= a.length || j >= b.length) return i >= a.length && j >= b.length;
    if (a[i] !== b[j] || a[i + 1] !== b[j + 1]) return false;
    i += 2;
    j += 2;
  }
}

function omTimestamp(b: Buffer, start: number, end: number): number | undefined {
  const seconds = parseNumber(b, start, end, false, 3);
  if (seconds === undefined) return undefined;
  const ms = Math.round(seconds);
  return Math.abs(ms) <= Number.MAX_SAFE_INTEGER ? ms + 0 : undefined;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Streaming parser of one exposition. Create one per scrape; feed it with
 * {@link push} and finish with {@link end}. Synchronous and not reentrant;
 * parsers are independent of each other (unless they share a
 * {@link StringTable}, which they must then use one at a time).
 *
 * Text-format choices, each following Prometheus's own text parser
 * (model/textparse/promparse.go) unless said otherwise:
 * - empty and whitespace-only lines are skipped; spaces and tabs may surround
 *   every token, including before `{` and between `}` and the value;
 * - `#` lines other than `# HELP name ...` / `# TYPE name ...` are comments;
 *   `# HELP` text drops the one separator character after the name and keeps
 *   the rest, unescaping only `\\` and `\n`;
 * - TYPE is one of counter, gauge, histogram, summary, untyped (Prometheus
 *   rejects the OpenMetrics-only types in this format too); unlike
 *   Prometheus, whitespace around the type word is tolerated;
 * - a trailing comma in a label set is allowed, and so is a missing comma
 *   between labels (`{a="1" b="2"}`: Prometheus's lexer accepts it);
 * - timestamps are integer milliseconds, digits only (no sign);
 * - a sample belongs to the family of the last TYPE/HELP line when
 *   Prometheus's `isSeriesPartOfFamily` says so, and otherwise to an untyped
 *   family of its own name;
 * - deviation: a `\r` before `\n` is dropped (Prometheus fails on `\r\n`
 *   input; Windows-hosted exporters produce it and nothing is ambiguous);
 * - deviation: a raw line feed inside a quoted label value is an error
 *   (Prometheus's lexer accepts it by accident; the format requires `\n`);
 * - deviation: invalid UTF-8 is an error in comments too (Prometheus checks
 *   only label values and HELP), since the format is defined as UTF-8;
 * - duplicate label names and the label name `__name__` are errors
 *   (Prometheus rejects such samples when appending them);
 * - repeated `# TYPE`/`# HELP` lines for a name start a new family instead of
 *   failing (Prometheus's parser does not check either).
 *
 * OpenMetrics: the ABNF of OpenMetrics 1.0 (single spaces, no blank lines, no
 * other `#` lines, no `\r`, `# EOF` last, optionally followed by one `\n`)
 * and these rules: TYPE/HELP/UNIT at most once per family and before its
 * samples; UNIT a `_`-suffix of the name and empty for info and stateset;
 * families contiguous and unique (a sample of a family already left is an
 * error); sample names carry the suffixes their family type allows;
 * histogram and gaugehistogram `_bucket` samples carry a numeric `le`, in
 * increasing order within a metric point that ends with `le="+Inf"`, and other
 * samples of those families carry none; summary quantile samples carry a
 * `quantile` in [0, 1] and other summary samples none; exemplars only on
 * counter `_total` and histogram `_bucket` samples, with at most 128 code
 * points of label names and values. As in Prometheus, a trailing comma in a
 * label set and a raw `"` in HELP text are tolerated. Not checked: sample
 * values (counters non-negative, info = 1, stateset 0/1), bucket counts being
 * cumulative, and exemplar values lying inside their bucket. Timestamps are
 * float seconds, converted to integer milliseconds by rounding (Prometheus
 * truncates, which turns `1520879607.789` into ...788).
 */
export class ExpositionParser {
  /** The format this parser reads. */
  readonly format: ExpositionFormat;

  private readonly sink: ExpositionSink;
  private readonly strings: StringTable;
  private readonly isText: boolean;
  private readonly maxLineBytes: number;
  private readonly maxLabels: number;
  private readonly maxLabelNameLength: number;
  private readonly maxLabelValueBytes: number;
  private readonly maxSamples: number;
  private readonly maxFamilies: number;

  /** The start of a line that the next chunk continues. */
  private pending: Buffer = EMPTY_BYTES;
  /** A high surrogate that ended the last text chunk. */
  private heldSurrogate = '';
  private pendingLength = 0;

  private lineNo = 0;
  private lineBuf: Buffer = EMPTY_BYTES;
  /** DataViews over `pending` and over the buffer of the current line. */
  private pendingView: DataView = EMPTY_VIEW;
  private lineView: DataView = EMPTY_VIEW;
  /** Set by parseLabels: every label but `le` is the previous sample's, at the same place. */
  private sameSeriesAsPrevious = false;
  private lineStart = 0;
  /** Scratch: where the last label set ended; positions of `le` and `quantile` values. */
  private pos = 0;
  private leStart = -1;
  private leEnd = -1;
  private quantileStart = -1;
  private quantileEnd = -1;
  private seriesStart = 0;
  private seriesEnd = 0;

  private ended = false;
  private failure: Error | undefined = undefined;
  private inSink = false;
  private eofSeen = false;

  /** OpenMetrics: the current family. Text: the family of the last TYPE/HELP line. */
  private current: FamilyState | null = null;
  /** Set by resolveName: the family and role of the sample being parsed. */
  private family: FamilyState | null = null;
  private role = ROLE_PLAIN;
  /** Text: families of samples outside the TYPE/HELP family, by name. */
  private readonly implicit = new Map<string, FamilyState>();
  private lastImplicit: FamilyState | null = null;
  /** OpenMetrics: every family seen, by name (uniqueness and contiguity). */
  private readonly seen = new Map<string, FamilyState>();
  private familyCount = 0;
  private sampleCount = 0;

  /**
   * The previous sample, for the fast path: its buffer, name and labels, and
   * the positions of its label names and values (start, end pairs, relative
   * to the end of its name). Cleared whenever the bytes behind the
   * positions may change (each push).
   */
  private prevView: DataView = EMPTY_VIEW;
  private prevName = '';
  private prevFamily: FamilyState | null = null;
  private prevNameStart = 0;
  /** Where the previous sample's series (`name{...}`) ended. */
  private prevSeriesEnd = 0;
  /** Index in `prevLabels` of the previous sample's `le` / `quantile` name, or -1. */
  private prevLeIndex = -1;
  private prevQuantileIndex = -1;
  private leIndex = -1;
  private quantileIndex = -1;
  /** Scratch: bytes the current line shares with the previous sample's line, after the names. */
  private common = 0;
  /** Scratch: where the current sample's name ends, and the previous sample's. */
  private labelBase = 0;
  private prevLabelBase = 0;
  private prevLabels: LabelPairs = EMPTY_LABELS;
  private prevPos = new Int32Array(64);
  private curPos = new Int32Array(64);
  private readonly scratch: string[] = [];

  /**
   * @param format which grammar to apply.
   * @param sink receives families and samples during {@link push} and {@link end}.
   * @param options limits (missing fields take {@link DEFAULT_PARSER_LIMITS}) and a string table.
   */
  constructor(format: ExpositionFormat, sink: ExpositionSink, options: ParserOptions = {}) {
    this.format = format;
    this.sink = sink;
    this.isText = format !== 'openmetrics';
    this.strings = options.strings ?? new StringTable();
    const d = DEFAULT_PARSER_LIMITS;
    this.maxLineBytes = options.maxLineBytes ?? d.maxLineBytes;
    this.maxLabels = options.maxLabelsPerSample ?? d.maxLabelsPerSample;
    this.maxLabelNameLength = options.maxLabelNameLength ?? d.maxLabelNameLength;
    this.maxLabelValueBytes = options.maxLabelValueBytes ?? d.maxLabelValueBytes;
    this.maxSamples = options.maxSamples ?? d.maxSamples;
    this.maxFamilies = options.maxFamilies ?? d.maxFamilies;
  }

  /** Number of lines parsed so far (complete lines, plus the last one after {@link end}). */
  get lines(): number {
    return this.lineNo;
  }

  /** Number of samples delivered so far. */
  get samples(): number {
    return this.sampleCount;
  }

  /** Bytes held for a line the next chunk continues (at most `maxLineBytes`). */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  /**
   * The raw text of the current sample's series, `name{labels}` as written.
   * Only valid inside the sink's `sample` call; a cache key for the scraper
   * (two spellings of one label set give two keys, as in Prometheus).
   */
  seriesText(): string {
    return this.lineBuf.toString('utf8', this.seriesStart, this.seriesEnd);
  }

  /**
   * Parses the complete lines of `chunk` (UTF-8 bytes, or text) and keeps the
   * unfinished last line for the next call.
   *
   * @throws VigilError `EXPOSITION_PARSE` / `EXPOSITION_LIMIT`, or what the sink throws.
   */
  push(chunk: Uint8Array | string): void {
    this.checkUsable();
    try {
      if (typeof chunk === 'string') {
        this.feedString(chunk);
      } else {
        if (this.heldSurrogate !== '') this.feedString('');
        this.feed(asBuffer(chunk));
      }
    } catch (err) {
      throw this.recordFailure(err);
    }
  }

  /** Text chunks are encoded to UTF-8; a surrogate pair split between two chunks is rejoined. */
  private feedString(chunk: string): void {
    let text = this.heldSurrogate + chunk;
    this.heldSurrogate = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.heldSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (text !== '') this.feed(Buffer.from(text, 'utf8'));
  }

  /**
   * Parses what is left (a last line without `\n` is fine) and checks the
   * end of the exposition (`# EOF` in OpenMetrics).
   *
   * @throws VigilError `EXPOSITION_PARSE` / `EXPOSITION_LIMIT`, or what the sink throws.
   */
  end(): void {
    this.checkUsable();
    try {
      this.finish();
      this.ended = true;
    } catch (err) {
      throw this.recordFailure(err);
    }
  }

  private checkUsable(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) {
      throw new VigilError(
        ErrorCodes.EXPOSITION_PARSE,
        'The parser has already ended: create a new ExpositionParser for each exposition.',
        { details: { format: this.format } },
      );
    }
  }

  private recordFailure(err: unknown): Error {
    let failure: Error;
    if (err instanceof VigilError || (this.inSink && err instanceof Error)) {
      failure = err;
    } else {
      // A bug of ours, the engine running out of room, or a sink throwing a
      // non-Error value: still a VigilError, with the original as its cause.
      failure = new VigilError(
        ErrorCodes.EXPOSITION_PARSE,
        `line ${this.lineNo}: ${this.inSink ? 'the sink threw' : 'internal parser error'} (${String(err)}).`,
        { cause: err, details: { line: this.lineNo, format: this.format } },
      );
    }
    this.failure = failure;
    return failure;
  }

  // ---- input ----------------------------------------------------------------

  private forgetPrevious(): void {
    this.prevName = '';
    this.prevLabels = EMPTY_LABELS;
    this.prevView = EMPTY_VIEW;
  }

  private feed(b: Buffer): void {
    this.forgetPrevious();
    const n = b.length;
    let pos = 0;
    if (this.pendingLength > 0) {
      const nl = b.indexOf(LF);
      if (nl < 0) {
        this.appendPending(b, 0, n);
        return;
      }
      this.appendPending(b, 0, nl);
      this.lineView = this.pendingView;
      this.line(this.pending, 0, this.pendingLength);
      this.pendingLength = 0;
      pos = nl + 1;
    }
    this.lineView = viewOf(b);
    while (pos < n) {
      const nl = b.indexOf(LF, pos);
      if (nl < 0) break;
      this.line(b, pos, nl);
      pos = nl + 1;
    }
    if (pos < n) this.appendPending(b, pos, n);
  }

  private appendPending(b: Buffer, start: number, end: number): void {
    const length = this.pendingLength + end - start;
    if (length > 0 && this.eofSeen) {
      this.lineNo++;
      this.lineBuf = b;
      this.lineStart = start;
      this.fail(start, "unexpected content after '# EOF'");
    }
    if (length > this.maxLineBytes) {
      this.lineNo++;
      const held = this.pendingLength;
      const column =
        codePointCount(this.pending, 0, held) +
        codePointCount(b, start, start + this.maxLineBytes - held) +
        1;
      this.failAtColumn(
        column,
        `line longer than ${this.maxLineBytes} bytes: raise maxLineBytes or fix the exposition`,
        ErrorCodes.EXPOSITION_LIMIT,
      );
    }
    if (length > this.pending.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(this.maxLineBytes, Math.max(length, 2 * this.pending.length, 256)),
      );
      this.pending.copy(grown, 0, 0, this.pendingLength);
      this.pending = grown;
      this.pendingView = viewOf(grown);
    }
    b.copy(this.pending, this.pendingLength, start, end);
    this.pendingLength = length;
  }

  private failLineTooLong(at: number): never {
    return this.fail(
      at,
      `line longer than ${this.maxLineBytes} bytes: raise maxLineBytes or fix the exposition`,
      ErrorCodes.EXPOSITION_LIMIT,
    );
  }

  private line(b: Buffer, start: number, end: number): void {
    this.lineNo++;
    this.lineBuf = b;
    this.lineStart = start;
    if (this.isText && end > start && b[end - 1] === CR) end--;
    if (end - start > this.maxLineBytes) this.failLineTooLong(start + this.maxLineBytes);
    if (this.isText) {
      let i = start;
      while (i < end && isBlank(b[i]!)) i++;
      if (i === end) return; // blank line
      if (b[i] === HASH) this.parseTextComment(b, i, end);
      else this.parseSample(b, i, end);
      return;
    }
    if (this.eofSeen) this.fail(start, "unexpected content after '# EOF'");
    if (start === end) this.fail(start, 'empty line: OpenMetrics does not allow blank lines');
    if (b[start] === HASH) this.parseOmComment(b, start, end);
    else this.parseSample(b, start, end);
  }

  private finish(): void {
    if (this.heldSurrogate !== '') {
      // A lone surrogate: it has no UTF-8 form and becomes U+FFFD.
      this.feed(Buffer.from(this.heldSurrogate, 'utf8'));
      this.heldSurrogate = '';
    }
    this.forgetPrevious();
    if (this.pendingLength > 0) {
      const length = this.pendingLength;
      this.pendingLength = 0;
      this.lineView = this.pendingView;
      this.line(this.pending, 0, length);
    }
    if (!this.isText && !this.eofSeen) {
      this.lineNo++;
      this.lineBuf = EMPTY_BYTES;
      this.lineStart = 0;
      this.fail(0, "missing '# EOF': an OpenMetrics exposition must end with '# EOF'");
    }
  }

  // ---- errors ---------------------------------------------------------------

  private fail(at: number, problem: string, code: ErrorCode = ErrorCodes.EXPOSITION_PARSE): never {
    return this.failAtColumn(codePointCount(this.lineBuf, this.lineStart, at) + 1, problem, code);
  }

  private failAtColumn(column: number, problem: string, code: ErrorCode): never {
    const line = this.lineNo;
    throw new VigilError(code, `line ${line}, column ${column}: ${problem}`, {
      details: { line, column, problem, format: this.format },
    });
  }

  private checkUtf8(b: Buffer, start: number, end: number, what: string): void {
    const bad = firstInvalidUtf8(b, start, end);
    if (bad < end) this.fail(bad, `invalid UTF-8 in ${what}: expositions must be UTF-8`);
  }

  /**
   * Decodes an escaped string: `\\` and `\n`, and `\"` when `quotes` (label
   * values, OpenMetrics HELP); other backslash sequences stay as written, as
   * in Prometheus.
   */
  private unescape(b: Buffer, start: number, end: number, quotes: boolean, what: string): string {
    this.checkUtf8(b, start, end, what);
    let out = '';
    let from = start;
    for (let i = start; i < end - 1; i++) {
      if (b[i] !== BACKSLASH) continue;
      const next = b[i + 1];
      if (next === BACKSLASH || next === 110 /* n */ || (quotes && next === QUOTE)) {
        out += b.toString('utf8', from, i) + (next === 110 ? '\n' : next === QUOTE ? '"' : '\\');
        i++;
        from = i + 1;
      }
    }
    return out + b.toString('utf8', from, end);
  }

  // ---- metadata and comments ------------------------------------------------

  /** Scans a metric name at `i`; returns its end (`i` when there is none). */
  private scanMetricName(b: Buffer, i: number, end: number): number {
    if (i >= end || (CLASS[b[i]!]! & NAME_START) === 0) return i;
    i++;
    while (i < end && (CLASS[b[i]!]! & NAME_CHAR) !== 0) i++;
    return i;
  }

  private parseTextComment(b: Buffer, start: number, end: number): void {
    let i = start + 1;
    // As in Prometheus: "#", blanks, HELP|TYPE, blanks make metadata; anything else is a comment.
    let kind = -1;
    if (i < end && isBlank(b[i]!)) {
      while (i < end && isBlank(b[i]!)) i++;
      if (startsWithAscii(b, i, end, 'HELP')) kind = META_HELP;
      else if (startsWithAscii(b, i, end, 'TYPE')) kind = META_TYPE;
      i += 4;
      if (i >= end || !isBlank(b[i]!)) kind = -1; // "# HELP" alone, "# HELPER": comments
    }
    if (kind < 0) {
      this.checkUtf8(b, start, end, 'a comment');
      return;
    }
    while (i < end && isBlank(b[i]!)) i++;
    const keyword = META_KEYWORDS[kind]!;
    const nameStart = i;
    i = this.scanMetricName(b, i, end);
    if (i === nameStart) {
      this.fail(i, `expected a metric name after '# ${keyword}', found ${describe(b, i, end)}`);
    }
    const name = b.toString('latin1', nameStart, i);
    if (i < end && !isBlank(b[i]!)) {
      this.fail(i, `expected a space after metric name "${name}", found ${describe(b, i, end)}`);
    }
    if (kind === META_TYPE) {
      let ts = i;
      while (ts < end && isBlank(b[ts]!)) ts++;
      let te = end;
      while (te > ts && isBlank(b[te - 1]!)) te--;
      const type = TEXT_TYPES.get(b.toString('latin1', ts, te));
      if (type === undefined) {
        this.fail(
          ts,
          `unknown metric type ${excerpt(b, ts, te)} for "${name}": expected counter, gauge, histogram, summary or untyped`,
        );
      }
      const cur = this.current;
      if (cur !== null && cur.name === name && !cur.typeSeen) {
        cur.type = type;
        cur.typeSeen = true;
      } else {
        const fam = this.newFamily(name, type, start);
        fam.typeSeen = true;
        this.current = fam;
        this.notifyFamily(fam);
      }
    } else {
      const help = this.unescape(b, i < end ? i + 1 : end, end, false, 'the HELP text');
      const cur = this.current;
      if (cur !== null && cur.name === name && !cur.helpSeen) {
        cur.help = help;
        cur.helpSeen = true;
      } else {
        const fam = this.newFamily(name, 'untyped', start);
        fam.help = help;
        fam.helpSeen = true;
        this.current = fam;
        this.notifyFamily(fam);
      }
    }
  }

  private parseOmComment(b: Buffer, start: number, end: number): void {
    if (start + 1 >= end || b[start + 1] !== SP) {
      this.fail(
        start + 1,
        `expected ' ' after '#', found ${describe(b, start + 1, end)}: OpenMetrics allows only '# TYPE', '# HELP', '# UNIT' and '# EOF' lines`,
      );
    }
    const k = start + 2;
    if (startsWithAscii(b, k, end, 'EOF')) {
      if (end - k > 3) this.fail(k + 3, "unexpected content after '# EOF'");
      if (this.current !== null) this.endFamily(this.current, start);
      this.eofSeen = true;
      return;
    }
    let kind: number;
    if (startsWithAscii(b, k, end, 'TYPE')) kind = META_TYPE;
    else if (startsWithAscii(b, k, end, 'HELP')) kind = META_HELP;
    else if (startsWithAscii(b, k, end, 'UNIT')) kind = META_UNIT;
    else {
      return this.fail(
        k,
        `expected TYPE, HELP, UNIT or EOF after '# ', found ${describe(b, k, end)}: OpenMetrics does not allow other comments`,
      );
    }
    const keyword = META_KEYWORDS[kind]!;
    let i = k + 4;
    if (i >= end || b[i] !== SP) {
      this.fail(i, `expected ' ' after '# ${keyword}', found ${describe(b, i, end)}`);
    }
    i++;
    const nameStart = i;
    i = this.scanMetricName(b, i, end);
    if (i === nameStart) {
      this.fail(i, `expected a metric name after '# ${keyword} ', found ${describe(b, i, end)}`);
    }
    const name = b.toString('latin1', nameStart, i);
    if (i >= end || b[i] !== SP) {
      this.fail(
        i,
        `expected ' ' after metric name "${name}" in '# ${keyword}', found ${describe(b, i, end)}`,
      );
    }
    i++;
    const fam = this.omMetadataFamily(name, kind, start);
    if (kind === META_TYPE) {
      const type = OM_TYPES.get(b.toString('latin1', i, end));
      if (type === undefined) {
        this.fail(
          i,
          `unknown metric type ${excerpt(b, i, end)} for "${name}": expected counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown`,
        );
      }
      if (fam.unit && (type === 'info' || type === 'stateset')) {
        this.fail(i, `a ${type} family cannot have a unit, and "${name}" has unit "${fam.unit}"`);
      }
      fam.type = type;
      fam.omCheck = omCheckOf(type);
      fam.typeSeen = true;
    } else if (kind === META_HELP) {
      fam.help = this.unescape(b, i, end, true, 'the HELP text');
      fam.helpSeen = true;
    } else {
      for (let u = i; u < end; u++) {
        if ((CLASS[b[u]!]! & NAME_CHAR) === 0) {
          this.fail(
            u,
            `invalid character ${describe(b, u, end)} in the unit of "${name}": use [a-zA-Z0-9_:]`,
          );
        }
      }
      const unit = b.toString('latin1', i, end);
      if (unit !== '') {
        if (!(name.length > unit.length + 1 && name.endsWith('_' + unit))) {
          this.fail(
            i,
            `unit "${unit}" must be the suffix of the metric name "${name}", after a '_'`,
          );
        }
        if (fam.type === 'info' || fam.type === 'stateset') {
          this.fail(i, `a ${fam.type} family cannot have a unit ("${name}")`);
        }
      }
      fam.unit = unit;
      fam.unitSeen = true;
    }
  }

  /** OpenMetrics: the family a metadata line for `name` belongs to, checking uniqueness. */
  private omMetadataFamily(name: string, kind: number, at: number): FamilyState {
    const cur = this.current;
    const keyword = META_KEYWORDS[kind]!;
    if (cur !== null && cur.name === name) {
      if (cur.hasSamples) {
        this.fail(at, `'# ${keyword}' for "${name}" after its samples: metadata must come first`);
      }
      if (kind === META_TYPE ? cur.typeSeen : kind === META_HELP ? cur.helpSeen : cur.unitSeen) {
        this.fail(at, `duplicate '# ${keyword}' for "${name}"`);
      }
      return cur;
    }
    if (cur !== null) this.endFamily(cur, at);
    if (this.seen.has(name)) {
      this.fail(
        at,
        `metric family "${name}" appears twice: OpenMetrics families must be unique and not interleaved`,
      );
    }
    const fam = this.newFamily(name, 'unknown', at);
    this.seen.set(name, fam);
    this.current = fam;
    this.notifyFamily(fam);
    return fam;
  }

  private newFamily(name: string, type: MetricType, at: number): FamilyState {
    if (++this.familyCount > this.maxFamilies) {
      this.fail(
        at,
        `more than ${this.maxFamilies} metric families: raise maxFamilies or reduce the exposition`,
        ErrorCodes.EXPOSITION_LIMIT,
      );
    }
    return new FamilyState(name, type);
  }

  private notifyFamily(fam: FamilyState): void {
    const sink = this.sink;
    if (sink.family !== undefined) {
      this.inSink = true;
      sink.family(fam);
      this.inSink = false;
    }
  }

  /** OpenMetrics: checks that closing a family leaves no histogram point without +Inf. */
  private endFamily(fam: FamilyState, at: number): void {
    if (fam.pointLabels !== null && fam.lastLe !== Infinity) {
      this.fail(
        at,
        `histogram "${fam.name}": the metric point ending before this line has no le="+Inf" bucket`,
      );
    }
  }

  // ---- samples --------------------------------------------------------------

  /** Finds or creates the family of sample `name`; sets `family` and `role`. */
  private resolveName(name: string, at: number): void {
    const cur = this.current;
    if (cur !== null) {
      const names = cur.sampleNames;
      for (let k = 0; k < names.length; k++) {
        if (names[k] === name) {
          this.family = cur;
          this.role = cur.sampleRoles[k]!;
          return;
        }
      }
    }
    if (this.isText) {
      const last = this.lastImplicit;
      if (last !== null && last.name === name) {
        this.family = last;
        this.role = ROLE_PLAIN;
        return;
      }
      this.resolveTextName(name, at);
    } else {
      this.resolveOmName(name, at);
    }
  }

  /** Text: Prometheus's rule for which samples belong to the last TYPE/HELP family. */
  private resolveTextName(name: string, at: number): void {
    const cur = this.current;
    this.role = ROLE_PLAIN;
    if (cur !== null && textBelongs(name, cur.name, cur.type)) {
      cur.remember(name, ROLE_PLAIN);
      this.family = cur;
      return;
    }
    let fam = this.implicit.get(name);
    if (fam === undefined) {
      fam = this.newFamily(name, 'untyped', at);
      this.implicit.set(name, fam);
      this.notifyFamily(fam);
    }
    this.lastImplicit = fam;
    this.family = fam;
  }

  private resolveOmName(name: string, at: number): void {
    const cur = this.current;
    if (cur !== null) {
      const role = omRole(name, cur.name, cur.type);
      if (role >= 0) {
        cur.remember(name, role);
        this.family = cur;
        this.role = role;
        return;
      }
      if (role === WRONG_SUFFIX) {
        this.fail(
          at,
          `sample "${name}" of ${cur.type} family "${cur.name}" needs a suffix: expected ${OM_SUFFIXES_TEXT[cur.type] ?? 'none'}`,
        );
      }
      this.endFamily(cur, at);
    }
    // A new family without metadata: its name must be new, and must not be a
    // sample name of a family already left (interleaving).
    if (this.seen.has(name)) {
      this.fail(
        at,
        `samples of metric family "${name}" are not contiguous: OpenMetrics families must not be interleaved`,
      );
    }
    for (const [suffix, role] of SUFFIXES) {
      if (name.length > suffix.length && name.endsWith(suffix)) {
        const base = this.seen.get(name.slice(0, name.length - suffix.length));
        if (base !== undefined && omAllows(base.type, role)) {
          this.fail(
            at,
            `sample "${name}" of metric family "${base.name}" after other families: OpenMetrics families must not be interleaved`,
          );
        }
      }
    }
    const fam = this.newFamily(name, 'unknown', at);
    this.seen.set(name, fam);
    this.current = fam;
    fam.remember(name, ROLE_PLAIN);
    this.notifyFamily(fam);
    this.family = fam;
    this.role = ROLE_PLAIN;
  }

  private parseSample(b: Buffer, start: number, end: number): void {
    const text = this.isText;
    let i = start;
    let c = b[i]!;
    let name: string;
    const prevName = this.prevName;
    const prevLength = prevName.length;
    const prevSeriesEnd = this.prevSeriesEnd;
    // The bytes this line shares with the previous sample's series and the
    // character after it: names and labels inside them are the previous ones.
    const common =
      prevLength === 0
        ? 0
        : commonPrefix(
            this.lineView,
            start,
            this.prevView,
            this.prevNameStart,
            Math.min(end - start, prevSeriesEnd + 1 - this.prevNameStart),
          );
    let sibling: string | undefined;
    if (prevLength > 0 && common > prevLength) {
      name = prevName;
      i += prevLength;
    } else if (
      prevLength > 0 &&
      start + prevLength <= end &&
      (start + prevLength === end || (CLASS[b[start + prevLength]!]! & NAME_CHAR) === 0) &&
      sameBytes(this.lineView, start, this.prevView, this.prevNameStart, prevLength)
    ) {
      name = prevName;
      i += prevLength;
    } else if (
      prevLength > 0 &&
      (sibling = this.siblingName(b, start, end, common)) !== undefined
    ) {
      name = sibling;
      i += sibling.length;
    } else {
      if ((CLASS[c]! & NAME_START) === 0) {
        this.fail(
          start,
          text
            ? `expected a metric name, '#' or an empty line, found ${describe(b, start, end)}`
            : `expected a metric name or '#', found ${describe(b, start, end)}`,
        );
      }
      let h = FNV_OFFSET;
      do {
        h = Math.imul(h ^ c, FNV_PRIME);
        i++;
        if (i === end) break;
        c = b[i]!;
      } while ((CLASS[c]! & NAME_CHAR) !== 0);
      name = this.strings.get(b, start, i, h, true);
    }
    // The bytes after the name shared with those after the previous sample's
    // name: label positions are relative to the end of the name, so that the
    // labels of `x_sum` after `x_bucket` are found in the same way.
    const prevBase = this.prevNameStart + prevLength;
    this.common =
      this.prevLabels.length === 0
        ? 0
        : name === prevName
          ? Math.max(0, common - prevLength)
          : commonPrefix(
              this.lineView,
              i,
              this.prevView,
              prevBase,
              Math.min(end - i, prevSeriesEnd + 1 - prevBase),
            );
    this.labelBase = i;
    this.prevLabelBase = prevBase;
    this.resolveName(name, start);
    const fam = this.family!;
    const role = this.role;
    let seriesEnd = i;
    if (text) while (i < end && isBlank(b[i]!)) i++;
    let labels = EMPTY_LABELS;
    const labelsAt = i;
    this.leStart = -1;
    this.quantileStart = -1;
    this.leIndex = -1;
    this.quantileIndex = -1;
    this.sameSeriesAsPrevious = false;
    let samePositions = false;
    if (i < end && b[i] === LBRACE) {
      const prevLabels = this.prevLabels;
      const n = prevLabels.length;
      if (n !== 0 && this.common >= this.prevPos[2 * n - 2]!) {
        // Everything up to the last label's value is the previous sample's.
        labels = this.lastValueChanged(b, end, prevLabels);
        samePositions = labels !== EMPTY_LABELS;
      }
      if (samePositions) {
        i = seriesEnd = this.pos;
      } else {
        labels = this.parseLabels(b, i + 1, end, name, false);
        i = seriesEnd = this.pos;
      }
    }
    this.seriesStart = start;
    this.seriesEnd = seriesEnd;

    let value: number;
    let timestampMs: number | undefined;
    let exemplar: Exemplar | undefined;
    if (text) {
      while (i < end && isBlank(b[i]!)) i++;
      const vs = i;
      // Fast path: a plain integer of at most 15 digits (exact), read in one pass.
      let m = 0;
      while (i < end) {
        const d = b[i]! - 48;
        if (d < 0 || d > 9) break;
        m = m * 10 + d;
        i++;
      }
      if (i > vs && i - vs <= 15 && (i === end || isBlank(b[i]!))) {
        value = m;
      } else {
        i = vs;
        while (i < end) {
          c = b[i]!;
          if (c === SP || c === TAB || c === LBRACE) break;
          i++;
        }
        const v = parseNumber(b, vs, i, true, 0);
        if (v === undefined) return this.failNumber(b, vs, i, end, 'sample value');
        value = v;
      }
      while (i < end && isBlank(b[i]!)) i++;
      if (i < end) {
        const ts = i;
        while (i < end && !isBlank(b[i]!)) i++;
        timestampMs = parseIntegerTimestamp(b, ts, i);
        if (timestampMs === undefined) {
          this.fail(
            ts,
            `invalid timestamp ${excerpt(b, ts, i)}: expected integer milliseconds since the epoch`,
          );
        }
        while (i < end && isBlank(b[i]!)) i++;
        if (i < end) {
          this.fail(
            i,
            `expected the end of the line after the timestamp, found ${describe(b, i, end)}`,
          );
        }
      }
    } else {
      if (i >= end || b[i] !== SP) {
        this.fail(i, `expected ' ' and a value after "${name}", found ${describe(b, i, end)}`);
      }
      const vs = ++i;
      // Fast path: a plain integer of at most 15 digits (exact), read in one pass.
      let m = 0;
      while (i < end) {
        const d = b[i]! - 48;
        if (d < 0 || d > 9) break;
        m = m * 10 + d;
        i++;
      }
      if (i > vs && i - vs <= 15 && (i === end || b[i] === SP)) {
        value = m;
      } else {
        i = vs;
        while (i < end && b[i] !== SP) i++;
        const v = parseNumber(b, vs, i, true, 0);
        if (v === undefined) return this.failNumber(b, vs, i, end, 'sample value');
        value = v;
      }
      if (i < end) {
        i++;
        if (i < end && b[i] !== HASH) {
          const ts = i;
          while (i < end && b[i] !== SP) i++;
          timestampMs = omTimestamp(b, ts, i);
          if (timestampMs === undefined) {
            this.fail(
              ts,
              `invalid timestamp ${excerpt(b, ts, i)}: expected seconds since the epoch such as 1520879607.789`,
            );
          }
          i = i < end ? i + 1 : end + 1; // past the space before an exemplar, or past the end
        }
        if (i <= end) exemplar = this.parseExemplar(b, i, end, fam, role);
      }
      if (fam.omCheck !== OM_CHECK_NONE && !this.nextBucket(fam, role, labels)) {
        this.checkOmSample(b, fam, role, name, labels, labelsAt);
      }
    }

    if (++this.sampleCount > this.maxSamples) {
      this.fail(
        start,
        `more than ${this.maxSamples} samples: raise maxSamples or reduce the exposition`,
        ErrorCodes.EXPOSITION_LIMIT,
      );
    }
    fam.hasSamples = true;
    this.prevView = this.lineView;
    this.prevName = name;
    this.prevNameStart = start;
    this.prevFamily = fam;
    this.prevSeriesEnd = seriesEnd;
    this.prevLabels = labels;
    this.prevLeIndex = this.leIndex;
    this.prevQuantileIndex = this.quantileIndex;
    if (!samePositions) {
      // lastValueChanged updated prevPos in place; otherwise parseLabels filled curPos.
      const pos = this.prevPos;
      this.prevPos = this.curPos;
      this.curPos = pos;
    }
    this.inSink = true;
    this.sink.sample(fam, name, labels, value, timestampMs, exemplar);
    this.inSink = false;
  }

  /**
   * Fast path of the label set of a sample whose bytes after the name, up to
   * the value of its last label, are those of the previous sample (so are its
   * label names and other values): a histogram bucket after another, a series
   * whose last label alone changes. Handles only a plain ASCII value closed
   * by `"}`; returns EMPTY_LABELS, having changed nothing, for anything else
   * (escapes, non-ASCII, blanks, a trailing comma, errors), which
   * parseLabels then parses. Otherwise sets what parseLabels sets, updates
   * the last value's end in `prevPos` (whose other positions hold for this
   * sample too) and leaves the index after `}` in `this.pos`.
   */
  private lastValueChanged(b: Buffer, end: number, prevLabels: LabelPairs): LabelPairs {
    const pos = this.prevPos;
    const start = this.labelBase;
    const n = prevLabels.length;
    const vs = start + pos[2 * n - 2]!;
    let i = vs;
    let h = FNV_OFFSET;
    let c = 0;
    while (i < end) {
      c = b[i]!;
      if (c === QUOTE || c === BACKSLASH || c >= 0x80) break;
      h = Math.imul(h ^ c, FNV_PRIME);
      i++;
    }
    if (c !== QUOTE || i + 1 >= end || b[i + 1] !== RBRACE || i - vs > this.maxLabelValueBytes) {
      return EMPTY_LABELS;
    }
    // The same bytes as the previous value when the common prefix covers them
    // and the lengths are equal.
    const prevEnd = pos[2 * n - 1]!;
    const same = this.common >= prevEnd && i - start === prevEnd;
    const value = same ? prevLabels[n - 1]! : this.strings.get(b, vs, i, h, true);
    pos[2 * n - 1] = i - start;
    const le = this.prevLeIndex;
    if (le >= 0) {
      this.leIndex = le;
      this.leStart = start + pos[2 * le + 2]!;
      this.leEnd = start + pos[2 * le + 3]!;
    }
    const q = this.prevQuantileIndex;
    if (q >= 0) {
      this.quantileIndex = q;
      this.quantileStart = start + pos[2 * q + 2]!;
      this.quantileEnd = start + pos[2 * q + 3]!;
    }
    this.sameSeriesAsPrevious = same || le === n - 2;
    this.pos = i + 2;
    return withLastValue(prevLabels, value);
  }

  /**
   * The name of the sample at `start` when it is another sample name of the
   * previous sample's family (`x_sum` after `x_bucket`), found by comparing
   * only the bytes after the family name; `common` bytes of the line are
   * the previous sample's. Undefined otherwise.
   */
  private siblingName(b: Buffer, start: number, end: number, common: number): string | undefined {
    const fam = this.prevFamily;
    if (fam === null) return undefined;
    // Every sample name of a family starts with the family name, and so did
    // the previous sample's.
    const from = fam.name.length;
    if (common < from) return undefined;
    const names = fam.sampleNames;
    for (let k = 0; k < names.length; k++) {
      const cand = names[k]!;
      const len = cand.length;
      if (start + len > end) continue;
      if (start + len < end && (CLASS[b[start + len]!]! & NAME_CHAR) !== 0) continue;
      let j = from;
      while (j < len && b[start + j] === cand.charCodeAt(j)) j++;
      if (j === len) return cand;
    }
    return undefined;
  }

  private failNumber(b: Buffer, start: number, end: number, lineEnd: number, what: string): never {
    if (start === end) {
      return this.fail(start, `expected a ${what}, found ${describe(b, start, lineEnd)}`);
    }
    let problem = `invalid ${what} ${excerpt(b, start, end)}: expected a float such as 1, -2.5e3, NaN or +Inf`;
    if (b[end - 1] === CR) problem += " (OpenMetrics lines end with '\\n' only)";
    return this.fail(start, problem);
  }

  /**
   * Parses a label set from just after `{`; returns the flat pairs and leaves
   * the index after `}` in `this.pos`, and the positions of `le` and
   * `quantile` values in their fields.
   *
   * Fast path: a name or value whose bytes equal those of the previous
   * sample's label at the same position is that label's string, found with
   * one comparison; otherwise the bytes are hashed and looked up in the
   * string table.
   */
  private parseLabels(
    b: Buffer,
    i: number,
    end: number,
    owner: string,
    forExemplar: boolean,
  ): LabelPairs {
    const text = this.isText;
    const strings = this.strings;
    const out = this.scratch;
    const view = this.lineView;
    const prevView = this.prevView;
    const prevPos = this.prevPos;
    const prevStrings = this.prevLabels;
    const prevCount = forExemplar ? 0 : prevStrings.length;
    let pos = this.curPos;
    let k = 0; // strings in `out`
    let reused = 0; // labels other than `le` that are the previous sample's
    let namesReused = true; // every name so far is the previous sample's: no duplicates
    let seen: Set<string> | null = null;
    const base = this.labelBase;
    const prevBase = this.prevLabelBase;
    if (prevCount > 0 && this.common > 0) {
      // Copy the labels that lie wholly in the bytes shared with the previous
      // line: same bytes, same places (positions are relative to the sample's
      // start), same strings.
      const limit = this.common; // the first byte that may differ
      while (k < prevCount && prevPos[2 * k + 3]! < limit) {
        if (pos.length < 2 * k + 4) {
          const grown = new Int32Array(Math.max(4 * k, 64));
          grown.set(pos);
          pos = grown;
        }
        pos[2 * k] = prevPos[2 * k]!;
        pos[2 * k + 1] = prevPos[2 * k + 1]!;
        pos[2 * k + 2] = prevPos[2 * k + 2]!;
        pos[2 * k + 3] = prevPos[2 * k + 3]!;
        out[k] = prevStrings[k]!;
        out[k + 1] = prevStrings[k + 1]!;
        if (k === this.prevLeIndex) {
          this.leIndex = k;
          this.leStart = base + pos[2 * k + 2]!;
          this.leEnd = base + pos[2 * k + 3]!;
        } else {
          if (k === this.prevQuantileIndex) {
            this.quantileIndex = k;
            this.quantileStart = base + pos[2 * k + 2]!;
            this.quantileEnd = base + pos[2 * k + 3]!;
          }
          reused++;
        }
        k += 2;
      }
      if (k > 0) {
        // Continue after the closing quote of the last copied value.
        i = base + pos[2 * k - 1]! + 1;
        if (text) while (i < end && isBlank(b[i]!)) i++;
        if (i < end && b[i] === COMMA) i++;
        else if (!(i < end && b[i] === RBRACE) && !text) {
          this.fail(
            i,
            `expected ',' or '}' after the value of label "${out[k - 2]!}", found ${describe(b, i, end)}`,
          );
        }
      }
    }
    for (;;) {
      if (text) while (i < end && isBlank(b[i]!)) i++;
      if (i >= end) {
        this.fail(
          i,
          `expected a label name or '}' in the labels of "${owner}", found the end of the line`,
        );
      }
      let c = b[i]!;
      if (c === RBRACE) {
        this.pos = i + 1;
        if (!forExemplar) {
          this.curPos = pos;
          this.sameSeriesAsPrevious =
            k === prevCount && reused === (this.leStart >= 0 ? (k >> 1) - 1 : k >> 1);
        }
        return copyLabels(out, k);
      }
      const ns = i;
      let name: string | undefined;
      let sameName = false;
      let sameValue = false;
      if (k < prevCount) {
        const ps = prevBase + prevPos[2 * k]!;
        const len = prevBase + prevPos[2 * k + 1]! - ps;
        if (
          i + len < end &&
          (CLASS[b[i + len]!]! & LABEL_CHAR) === 0 &&
          sameBytes(view, i, prevView, ps, len)
        ) {
          name = prevStrings[k]!;
          sameName = true;
          i += len;
        }
      }
      if (name === undefined) {
        if ((CLASS[c]! & LABEL_START) === 0) {
          this.fail(
            i,
            `expected a label name or '}' in the labels of "${owner}", found ${describe(b, i, end)}`,
          );
        }
        let h = FNV_OFFSET;
        do {
          h = Math.imul(h ^ c, FNV_PRIME);
          i++;
          if (i === end) break;
          c = b[i]!;
        } while ((CLASS[c]! & LABEL_CHAR) !== 0);
        if (i - ns > this.maxLabelNameLength) {
          this.fail(
            ns,
            `label name longer than ${this.maxLabelNameLength} characters: raise maxLabelNameLength or fix the exposition`,
            ErrorCodes.EXPOSITION_LIMIT,
          );
        }
        name = strings.get(b, ns, i, h, true);
      }
      const ne = i;
      if (text) while (i < end && isBlank(b[i]!)) i++;
      if (i >= end || b[i] !== EQ) {
        this.fail(i, `expected '=' after label name "${name}", found ${describe(b, i, end)}`);
      }
      i++;
      if (text) while (i < end && isBlank(b[i]!)) i++;
      if (i >= end || b[i] !== QUOTE) {
        this.fail(
          i,
          `expected '"' to open the value of label "${name}", found ${describe(b, i, end)}`,
        );
      }
      const vs = ++i;
      let value: string | undefined;
      if (k + 1 < prevCount) {
        const ps = prevBase + prevPos[2 * k + 2]!;
        const len = prevBase + prevPos[2 * k + 3]! - ps;
        // Equal bytes up to a quote: the same value (its validity was checked then).
        if (i + len < end && b[i + len] === QUOTE && sameBytes(view, i, prevView, ps, len)) {
          value = prevStrings[k + 1]!;
          sameValue = true;
          i += len;
        }
      }
      if (value === undefined) {
        let escaped = false;
        let ascii = true;
        let h = FNV_OFFSET;
        for (;;) {
          if (i >= end) {
            this.fail(
              end,
              `expected '"' to close the value of label "${name}", found the end of the line`,
            );
          }
          c = b[i]!;
          if (c === QUOTE) break;
          if (c === BACKSLASH) {
            escaped = true;
            i += 2;
          } else {
            if (c >= 0x80) ascii = false;
            h = Math.imul(h ^ c, FNV_PRIME);
            i++;
          }
        }
        if (i - vs > this.maxLabelValueBytes) {
          this.fail(
            vs,
            `value of label "${name}" longer than ${this.maxLabelValueBytes} bytes: raise maxLabelValueBytes or fix the exposition`,
            ErrorCodes.EXPOSITION_LIMIT,
          );
        }
        if (escaped) {
          value = this.unescape(b, vs, i, true, `the value of label "${name}"`);
        } else {
          if (!ascii) this.checkUtf8(b, vs, i, `the value of label "${name}"`);
          value = strings.get(b, vs, i, h, ascii);
        }
      }
      if (!forExemplar) {
        const nameLength = ne - ns;
        if (nameLength === 2 && b[ns] === 108 && b[ns + 1] === 101) {
          this.leIndex = k;
          this.leStart = vs;
          this.leEnd = i;
        } else {
          if (sameName && sameValue) reused++;
          if (nameLength === 8) {
            if (name === 'quantile') {
              this.quantileIndex = k;
              this.quantileStart = vs;
              this.quantileEnd = i;
            } else if (name === '__name__') {
              this.fail(ns, `label name "__name__" is reserved for the metric name`);
            }
          }
        }
        if (pos.length < 2 * k + 4) {
          const grown = new Int32Array(Math.max(4 * k, 64));
          grown.set(pos);
          pos = grown;
        }
        pos[2 * k] = ns - base;
        pos[2 * k + 1] = ne - base;
        pos[2 * k + 2] = vs - base;
        pos[2 * k + 3] = i - base;
      }
      i++; // closing quote
      if (k >= 2 * this.maxLabels) {
        this.fail(
          ns,
          `more than ${this.maxLabels} labels on "${owner}": raise maxLabelsPerSample or fix the exposition`,
          ErrorCodes.EXPOSITION_LIMIT,
        );
      }
      namesReused = namesReused && sameName;
      if (namesReused) {
        // Distinct in the previous sample, hence here.
      } else if (k < 32) {
        for (let j = 0; j < k; j += 2) {
          if (out[j] === name) {
            this.fail(ns, `duplicate label name "${name}" in the labels of "${owner}"`);
          }
        }
      } else {
        if (seen === null) {
          seen = new Set();
          for (let j = 0; j < k; j += 2) seen.add(out[j]!);
        }
        if (seen.has(name)) {
          this.fail(ns, `duplicate label name "${name}" in the labels of "${owner}"`);
        }
        seen.add(name);
      }
      out[k] = name;
      out[k + 1] = value;
      k += 2;
      if (text) while (i < end && isBlank(b[i]!)) i++;
      if (i < end) {
        c = b[i]!;
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === RBRACE || text) continue; // text: Prometheus accepts a missing comma
      }
      if (!text) {
        this.fail(
          i,
          `expected ',' or '}' after the value of label "${name}", found ${describe(b, i, end)}`,
        );
      }
    }
  }

  /** OpenMetrics: an exemplar starting at `i` (at the '#' after the value or timestamp). */
  private parseExemplar(
    b: Buffer,
    i: number,
    end: number,
    fam: FamilyState,
    role: number,
  ): Exemplar {
    if (i + 2 >= end || b[i] !== HASH || b[i + 1] !== SP || b[i + 2] !== LBRACE) {
      return this.fail(
        i,
        `expected a timestamp or an exemplar ('# {...} value'), found ${describe(b, i, end)}`,
      );
    }
    const allowed =
      (fam.type === 'counter' && role === ROLE_TOTAL) ||
      ((fam.type === 'histogram' || fam.type === 'gaugehistogram') && role === ROLE_BUCKET);
    if (!allowed) {
      this.fail(
        i,
        `exemplar on a ${fam.type} sample of "${fam.name}": exemplars are allowed only on counter _total and histogram _bucket samples`,
      );
    }
    const labels = this.parseLabels(b, i + 3, end, 'the exemplar', true);
    const labelsEnd = this.pos;
    let codePoints = 0;
    for (const part of labels) {
      for (let k = 0; k < part.length; k++) {
        const u = part.charCodeAt(k);
        if (u < 0xdc00 || u > 0xdfff) codePoints++;
      }
    }
    if (codePoints > MAX_EXEMPLAR_CODE_POINTS) {
      this.fail(
        i + 2,
        `exemplar labels are ${codePoints} characters long: OpenMetrics allows at most ${MAX_EXEMPLAR_CODE_POINTS} for names and values together`,
      );
    }
    i = labelsEnd;
    if (i >= end || b[i] !== SP) {
      this.fail(
        i,
        `expected ' ' and a value after the exemplar labels, found ${describe(b, i, end)}`,
      );
    }
    const vs = ++i;
    while (i < end && b[i] !== SP) i++;
    const value = parseNumber(b, vs, i, true, 0);
    if (value === undefined) return this.failNumber(b, vs, i, end, 'exemplar value');
    if (i >= end) return { labels, value };
    const ts = ++i;
    while (i < end && b[i] !== SP) i++;
    const timestampMs = omTimestamp(b, ts, i);
    if (timestampMs === undefined) {
      return this.fail(
        ts,
        `invalid exemplar timestamp ${excerpt(b, ts, i)}: expected seconds since the epoch such as 1520879607.789`,
      );
    }
    if (i < end) {
      this.fail(
        i,
        `expected the end of the line after the exemplar timestamp, found ${describe(b, i, end)}`,
      );
    }
    return { labels, value, timestampMs };
  }

  /**
   * OpenMetrics, the usual bucket: the next one of the point the previous
   * sample belongs to, whose `le` text is the one the last point had at this
   * place and whose bound is above the previous bucket's. Records it as
   * checkOmSample would and returns true; returns false, having changed
   * nothing, for anything else, which checkOmSample then checks in full.
   */
  private nextBucket(fam: FamilyState, role: number, labels: LabelPairs): boolean {
    if (
      role !== ROLE_BUCKET ||
      this.leStart < 0 ||
      !this.sameSeriesAsPrevious ||
      fam.pointLabels !== this.prevLabels
    ) {
      return false;
    }
    const n = fam.leCursor + 1;
    const leTexts = fam.leTexts;
    if (n >= leTexts.length || leTexts[n] !== labels[this.leIndex + 1]) return false;
    const bound = fam.leBounds[n]!;
    const last = fam.lastLe;
    if (last === Infinity || !(bound > last)) return false;
    fam.leCursor = n;
    fam.pointLabels = labels;
    fam.lastLe = bound;
    return true;
  }

  /** OpenMetrics rules on `le` and `quantile`, and histogram bucket order. */
  private checkOmSample(
    b: Buffer,
    fam: FamilyState,
    role: number,
    name: string,
    labels: LabelPairs,
    at: number,
  ): void {
    const type = fam.type;
    if (fam.omCheck === OM_CHECK_BUCKETS) {
      if (role !== ROLE_BUCKET) {
        if (this.leStart >= 0) {
          this.fail(at, `"le" label on "${name}": only the _bucket samples of a ${type} carry one`);
        }
        return;
      }
      if (this.leStart < 0) this.fail(at, `bucket "${name}" has no "le" label`);
      const point = fam.pointLabels;
      const samePoint =
        point !== null &&
        ((point === this.prevLabels && this.sameSeriesAsPrevious) || sameIgnoringLe(point, labels));
      // The bounds of the previous points, in order: the n-th bucket of a
      // point usually has the n-th bound of the last one. Equal strings
      // without escapes are equal bytes, hence equal bounds.
      const n = samePoint ? fam.leCursor + 1 : 0;
      const leText = labels[this.leIndex + 1]!;
      const leTexts = fam.leTexts;
      let bound: number | undefined;
      if (n < leTexts.length && leTexts[n] === leText) {
        bound = fam.leBounds[n]!;
      } else {
        bound = parseNumber(b, this.leStart, this.leEnd, true, 0);
        if (bound === undefined || Number.isNaN(bound)) {
          return this.fail(
            this.leStart,
            `invalid le=${excerpt(b, this.leStart, this.leEnd)} on "${name}": expected a number or +Inf`,
          );
        }
        if (n < leTexts.length) {
          leTexts[n] = leText;
          fam.leBounds[n] = bound;
        } else if (n === leTexts.length && n < 64) {
          leTexts.push(leText);
          fam.leBounds.push(bound);
        }
      }
      fam.leCursor = n;
      if (samePoint) {
        if (fam.lastLe !== Infinity && !(bound > fam.lastLe)) {
          this.fail(
            this.leStart,
            `bucket le=${excerpt(b, this.leStart, this.leEnd)} of "${name}" does not follow a lower bound: buckets must be in increasing "le" order`,
          );
        }
      } else if (point !== null && fam.lastLe !== Infinity) {
        this.fail(
          at,
          `histogram "${fam.name}": the metric point before this bucket has no le="+Inf" bucket`,
        );
      }
      fam.pointLabels = labels;
      fam.lastLe = bound;
    } else {
      if (role !== ROLE_PLAIN) {
        if (this.quantileStart >= 0) {
          this.fail(
            at,
            `"quantile" label on "${name}": only quantile samples of a summary carry one`,
          );
        }
        return;
      }
      if (this.quantileStart < 0) this.fail(at, `summary sample "${name}" has no "quantile" label`);
      const q = parseNumber(b, this.quantileStart, this.quantileEnd, false, 0);
      if (q === undefined || !(q >= 0 && q <= 1)) {
        this.fail(
          this.quantileStart,
          `invalid quantile=${quote(labels[indexOfLabel(labels, 'quantile') + 1] ?? '')} on "${name}": expected a number between 0 and 1`,
        );
      }
    }
  }
}

/** Prometheus's isSeriesPartOfFamily for the text format. */
function textBelongs(name: string, family: string, type: MetricType): boolean {
  if (name === family) return true;
  if (!name.startsWith(family)) return false;
  switch (type) {
    case 'counter': {
      const a = name.endsWith('_total') ? name.slice(0, -6) : name;
      const b = family.endsWith('_total') ? family.slice(0, -6) : family;
      return a === b;
    }
    case 'histogram':
      return name === family + '_bucket' || name === family + '_sum' || name === family + '_count';
    case 'summary':
      return name === family + '_sum' || name === family + '_count';
    default:
      return false;
  }
}

/** OpenMetrics suffix semantics: the role of `name` in family `family` of `type`. */
function omRole(name: string, family: string, type: MetricType): number {
  if (name === family) return omAllows(type, ROLE_PLAIN) ? ROLE_PLAIN : WRONG_SUFFIX;
  const n = family.length;
  if (name.length <= n + 1 || name.charCodeAt(n) !== 95 || !name.startsWith(family)) {
    return NOT_IN_FAMILY;
  }
  for (const [suffix, role] of SUFFIXES) {
    if (name.length === n + suffix.length && name.endsWith(suffix)) {
      return omAllows(type, role) ? role : NOT_IN_FAMILY;
    }
  }
  return NOT_IN_FAMILY;
}

interface CollectedFamily {
  readonly state: FamilyMetadata;
  readonly samples: ExpositionSample[];
}

/**
 * Parses a whole exposition into families, for tests and small inputs. In
 * the text format, samples of one family that are separated by other lines
 * are gathered under the family (by family object, not by name), and a
 * second TYPE/HELP line for a name starts another family.
 *
 * @throws VigilError `EXPOSITION_PARSE` or `EXPOSITION_LIMIT`.
 */
export function parseExposition(
  input: string | Uint8Array,
  format: ExpositionFormat,
  options?: ParserOptions,
): ExpositionFamily[] {
  return collectExposition(
    format,
    (parser) => {
      parser.push(input);
      parser.end();
    },
    options,
  );
}

/**
 * @internal Gathers everything a parser delivers into families, as
 * {@link parseExposition} returns them; `feed` pushes the input (in whatever
 * pieces it likes) and ends the parser. Tests use it to feed split input.
 */
export function collectExposition(
  format: ExpositionFormat,
  feed: (parser: ExpositionParser) => void,
  options?: ParserOptions,
): ExpositionFamily[] {
  const collected: CollectedFamily[] = [];
  const byFamily = new Map<FamilyMetadata, CollectedFamily>();
  const collect = (state: FamilyMetadata): CollectedFamily => {
    let entry = byFamily.get(state);
    if (entry === undefined) {
      entry = { state, samples: [] };
      byFamily.set(state, entry);
      collected.push(entry);
    }
    return entry;
  };
  const parser = new ExpositionParser(
    format,
    {
      family: collect,
      sample(family, name, labels, value, timestampMs, exemplar) {
        const sample: { -readonly [K in keyof ExpositionSample]: ExpositionSample[K] } = {
          name,
          labels,
          value,
        };
        if (timestampMs !== undefined) sample.timestampMs = timestampMs;
        if (exemplar !== undefined) sample.exemplar = exemplar;
        collect(family).samples.push(sample);
      },
    },
    options,
  );
  feed(parser);
  return collected.map(({ state, samples }) => {
    const family: { -readonly [K in keyof ExpositionFamily]: ExpositionFamily[K] } = {
      name: state.name,
      type: state.type,
      samples,
    };
    if (state.help !== undefined) family.help = state.help;
    if (state.unit !== undefined) family.unit = state.unit;
    return family;
  });
}
