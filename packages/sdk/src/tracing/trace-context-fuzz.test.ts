// Seeded fuzzing of the Trace Context parsers: random text and mutations of
// valid headers. Each input is checked against the invariants (never throws,
// accepted traceparents re-format to a canonical header, tracestate limits)
// and against small reference parsers written directly from the spec's ABNF.
//
// Replay a failing run with VIGIL_FUZZ_SEED=<seed>; raise the count with
// VIGIL_FUZZ_CASES=<n>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ROOT_CONTEXT,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
} from '@opentelemetry/api';
import {
  MAX_TRACESTATE_MEMBERS,
  VigilTraceContextPropagator,
  formatTraceparent,
  formatTracestate,
  isValidTracestateKey,
  isValidTracestateValue,
  parseTraceparent,
  parseTracestate,
} from './index.js';
import type { TraceParent } from './index.js';
import { seededRandom } from '@vigil/testing';

const SEED = Number(process.env.VIGIL_FUZZ_SEED ?? 20240601);
const CASES = Number(process.env.VIGIL_FUZZ_CASES ?? 5000);

class Gen {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  from(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

// Characters a hostile or broken caller might send: hex both cases, the
// delimiters, whitespace that is and is not OWS, controls, non-ASCII, a lone
// surrogate.
const NOISE = [
  ...'0123456789abcdefABCDEF',
  '-',
  '-',
  ' ',
  '\t',
  '\n',
  '\r',
  ',',
  '=',
  '@',
  '*',
  '/',
  '_',
  'g',
  'z',
  'G',
  '.',
  '\u0000',
  '\u007f',
  '\u00a0',
  '\u00e9',
  '\uff10',
  '\ud800',
];

function noise(g: Gen, maxLength: number): string {
  let s = '';
  const n = g.int(maxLength + 1);
  for (let i = 0; i < n; i++) s += g.pick(NOISE);
  return s;
}

function mutate(g: Gen, s: string): string {
  const rounds = g.int(4);
  for (let r = 0; r < rounds; r++) {
    const i = g.int(s.length + 1);
    switch (g.int(8)) {
      case 0: // replace a character
        s = s.slice(0, i) + g.pick(NOISE) + s.slice(i + 1);
        break;
      case 1: // insert
        s = s.slice(0, i) + g.pick(NOISE) + s.slice(i);
        break;
      case 2: // delete
        s = s.slice(0, i) + s.slice(i + 1);
        break;
      case 3: // case flip
        s = g.chance(0.5) ? s.toUpperCase() : s.slice(0, i) + s.slice(i).toUpperCase();
        break;
      case 4: // pad with whitespace, OWS or not
        s = g.pick(['', ' ', '\t', ' \t', '\n']) + s + g.pick(['', ' ', '\t', '\r\n']);
        break;
      case 5: // duplicate a slice
        s = s.slice(0, i) + s.slice(g.int(s.length + 1)) + s.slice(i);
        break;
      case 6: // truncate
        s = s.slice(0, i);
        break;
      default: // append a field
        s += `-${noise(g, 6)}`;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------
// reference parsers, straight from the ABNF

function referenceTraceparent(header: string): TraceParent | undefined {
  const s = header.replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\s\S]*)?$/.exec(s);
  if (m === null) return undefined;
  const [, version, traceId, parentId, flags, rest] = m as unknown as string[];
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (/^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return undefined;
  return {
    version: parseInt(version!, 16),
    traceId: traceId!,
    parentId: parentId!,
    traceFlags: parseInt(flags!, 16),
  };
}

const REF_KEY =
  /^(?:[a-z][a-z0-9_*/-]{0,255}|[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13})$/;
// value = 0*255(chr) nblk-chr ; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E ; chr = %x20 / nblk-chr
const REF_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

function referenceTracestate(header: string | string[]): [string, string][] {
  const text = Array.isArray(header) ? header.join(',') : header;
  const out: [string, string][] = [];
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const member = raw.replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq < 0) continue;
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!REF_KEY.test(key) || !REF_VALUE.test(value) || seen.has(key)) continue;
    seen.add(key);
    out.push([key, value]);
    if (out.length === 32) break;
  }
  return out;
}

// ---------------------------------------------------------------------------
// generators

function validTraceparent(g: Gen): string {
  const version = g.chance(0.6) ? '00' : g.hex(2).replace('ff', 'fe');
  const traceId = g.chance(0.05) ? '0'.repeat(31) + g.hex(1) : g.hex(32);
  const parentId = g.chance(0.05) ? '0'.repeat(15) + g.hex(1) : g.hex(16);
  let header = `${version}-${traceId}-${parentId}-${g.hex(2)}`;
  if (version !== '00' && g.chance(0.5)) header += `-${noise(g, 20)}`;
  return header;
}

function traceparentInput(g: Gen): string {
  switch (g.int(4)) {
    case 0:
      return noise(g, 70);
    case 1:
      return validTraceparent(g);
    default:
      return mutate(g, validTraceparent(g));
  }
}

const KEY_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';

function randomKey(g: Gen): string {
  const edge = g.int(10);
  if (edge === 0) return 'k' + g.from(KEY_CHARS, 254 + g.int(4)); // around the 256 limit
  if (edge === 1) {
    const tenant = g.from('abc123', 1) + g.from(KEY_CHARS, 239 + g.int(4));
    return `${tenant}@${g.from('xyz', 1)}${g.from(KEY_CHARS, 12 + g.int(4))}`;
  }
  if (edge === 2) return `${g.from('ab9', 1)}${g.from(KEY_CHARS, g.int(5))}@${g.from('s1', 1)}x`;
  if (edge === 3) return g.pick(['a', 'b', 'c', 'dup']); // duplicates
  return g.from('abcdefghijklmnopqrstuvwxyz', 1) + g.from(KEY_CHARS, g.int(12));
}

function randomValue(g: Gen): string {
  const printable = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + g.int(0x5f));
    return s;
  };
  switch (g.int(6)) {
    case 0:
      return printable(255 + g.int(3)); // around the 256 limit
    case 1:
      return printable(1 + g.int(40)); // may hold ',' '=' or end in a space
    default:
      return g.from(
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/',
        1 + g.int(16),
      );
  }
}

function validishTracestate(g: Gen): string {
  const n = g.int(40);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = g.int(20);
    if (r === 0) parts.push(g.pick(['', ' ', '\t', ' \t ']));
    else
      parts.push(
        `${g.pick(['', ' ', '\t'])}${randomKey(g)}=${randomValue(g)}${g.pick(['', ' ', '\t'])}`,
      );
  }
  return parts.join(',');
}

function tracestateInput(g: Gen): string | string[] {
  switch (g.int(5)) {
    case 0:
      return noise(g, 80);
    case 1:
      return validishTracestate(g);
    case 2:
      return Array.from({ length: g.int(4) }, () => validishTracestate(g));
    default:
      return mutate(g, validishTracestate(g));
  }
}

// ---------------------------------------------------------------------------

const CANONICAL = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/;

test('fuzz traceparent: never throws, agrees with the ABNF, accepted values re-format canonically', (t) => {
  t.diagnostic(`fuzz seed ${SEED}, ${CASES} cases (replay with VIGIL_FUZZ_SEED=${SEED})`);
  const g = new Gen(SEED);
  let accepted = 0;
  for (let i = 0; i < CASES; i++) {
    const header = traceparentInput(g);
    const where = `seed ${SEED}, case ${i}, header ${JSON.stringify(header)}`;
    let tp: TraceParent | undefined;
    assert.doesNotThrow(() => {
      tp = parseTraceparent(header);
    }, where);
    assert.deepEqual(tp, referenceTraceparent(header), where);
    if (tp === undefined) continue;
    accepted++;
    const formatted = formatTraceparent(tp);
    assert.ok(formatted !== undefined && CANONICAL.test(formatted), `${where} -> ${formatted}`);
    assert.deepEqual(
      parseTraceparent(formatted),
      { version: 0, traceId: tp.traceId, parentId: tp.parentId, traceFlags: tp.traceFlags & 0x03 },
      where,
    );
    assert.equal(formatTraceparent(parseTraceparent(formatted)!), formatted, where);
  }
  t.diagnostic(`${accepted} of ${CASES} traceparents accepted`);
  // Both outcomes must be well exercised for the run to mean anything.
  assert.ok(accepted > CASES / 10 && accepted < CASES * 0.9, `accepted ${accepted}`);
});

test('fuzz tracestate: never throws, agrees with the ABNF, limits hold, round trip is stable', (t) => {
  t.diagnostic(`fuzz seed ${SEED}, ${CASES} cases (replay with VIGIL_FUZZ_SEED=${SEED})`);
  const g = new Gen(SEED + 1);
  let members = 0;
  let full = 0;
  for (let i = 0; i < CASES; i++) {
    const header = tracestateInput(g);
    const where = `seed ${SEED}, case ${i}, header ${JSON.stringify(header)}`;
    const ts = parseTracestate(header);
    const entries = ts.entries().map(([k, v]) => [k, v]);
    assert.deepEqual(entries, referenceTracestate(header), where);
    assert.ok(ts.size <= MAX_TRACESTATE_MEMBERS, where);
    assert.equal(new Set(entries.map(([k]) => k)).size, entries.length, where);
    for (const [k, v] of entries) {
      assert.ok(isValidTracestateKey(k) && isValidTracestateValue(v), where);
    }
    const formatted = formatTracestate(ts);
    assert.equal(formatTracestate(parseTracestate(formatted)), formatted, where);
    // A mutation keeps the invariants too.
    const key = randomKey(g);
    const value = randomValue(g);
    const next = ts.set(key, value);
    assert.ok(next.size <= MAX_TRACESTATE_MEMBERS, where);
    if (isValidTracestateKey(key) && isValidTracestateValue(value)) {
      assert.deepEqual(next.entries()[0], [key, value], where);
    } else {
      assert.equal(next, ts, where);
    }
    members += ts.size;
    if (ts.size === MAX_TRACESTATE_MEMBERS) full++;
  }
  t.diagnostic(`${members} members kept in ${CASES} tracestates, ${full} at the 32 limit`);
  assert.ok(members > CASES && full > 0, `members ${members}, full ${full}`);
});

test('fuzz propagator: extract never throws and what it accepts injects canonically', (t) => {
  t.diagnostic(`fuzz seed ${SEED}, ${CASES} cases (replay with VIGIL_FUZZ_SEED=${SEED})`);
  const g = new Gen(SEED + 2);
  const propagator = new VigilTraceContextPropagator();
  for (let i = 0; i < CASES; i++) {
    const carrier: Record<string, unknown> = {
      traceparent: g.chance(0.1) ? [traceparentInput(g)] : traceparentInput(g),
      tracestate: tracestateInput(g),
    };
    const where = `seed ${SEED}, case ${i}, carrier ${JSON.stringify(carrier)}`;
    const ctx = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
    const sc = trace.getSpanContext(ctx);
    if (sc === undefined) {
      assert.equal(ctx, ROOT_CONTEXT, where);
      continue;
    }
    const out: Record<string, string> = {};
    propagator.inject(ctx, out, defaultTextMapSetter);
    assert.ok(CANONICAL.test(out.traceparent ?? ''), where);
    if (out.tracestate !== undefined) {
      assert.equal(out.tracestate, formatTracestate(parseTracestate(out.tracestate)), where);
    }
  }
});
