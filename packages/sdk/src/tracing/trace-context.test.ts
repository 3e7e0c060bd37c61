// Cases follow the rules of W3C Trace Context Level 1 (§3.2 traceparent,
// §3.3 tracestate, §3.5 mutations) and the Level 2 `random` flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ROOT_CONTEXT,
  createTraceState,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
} from '@opentelemetry/api';
import type { Context, SpanContext, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import {
  KNOWN_TRACE_FLAGS,
  MAX_TRACESTATE_MEMBERS,
  TRACE_FLAG_RANDOM,
  TRACE_FLAG_SAMPLED,
  TraceState,
  VigilTraceContextPropagator,
  formatTraceparent,
  formatTracestate,
  isValidTracestateKey,
  isValidTracestateValue,
  parseTraceparent,
  parseTracestate,
} from './index.js';
import type { TraceParent } from './index.js';

const TID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PID = '00f067aa0ba902b7';
const VALID = `00-${TID}-${PID}-01`;

// ---------------------------------------------------------------------------
// traceparent

const validTraceparents: [name: string, header: string, expected: TraceParent][] = [
  ['sampled', VALID, { version: 0, traceId: TID, parentId: PID, traceFlags: 0x01 }],
  [
    'not sampled',
    `00-${TID}-${PID}-00`,
    { version: 0, traceId: TID, parentId: PID, traceFlags: 0x00 },
  ],
  [
    'random flag alone (Level 2)',
    `00-${TID}-${PID}-02`,
    { version: 0, traceId: TID, parentId: PID, traceFlags: 0x02 },
  ],
  [
    'sampled and random',
    `00-${TID}-${PID}-03`,
    { version: 0, traceId: TID, parentId: PID, traceFlags: 0x03 },
  ],
  [
    'unknown flags are kept as received',
    `00-${TID}-${PID}-ff`,
    { version: 0, traceId: TID, parentId: PID, traceFlags: 0xff },
  ],
  [
    'flag bits need masking: 09 is sampled',
    `00-${TID}-${PID}-09`,
    { version: 0, traceId: TID, parentId: PID, traceFlags: 0x09 },
  ],
  [
    'trace-id with a single non-zero digit',
    `00-00000000000000000000000000000001-${PID}-01`,
    { version: 0, traceId: '00000000000000000000000000000001', parentId: PID, traceFlags: 1 },
  ],
  [
    'parent-id with a single non-zero digit',
    `00-${TID}-0000000000000001-01`,
    { version: 0, traceId: TID, parentId: '0000000000000001', traceFlags: 1 },
  ],
  [
    'leading space (HTTP OWS)',
    ` ${VALID}`,
    { version: 0, traceId: TID, parentId: PID, traceFlags: 1 },
  ],
  ['leading tab', `\t${VALID}`, { version: 0, traceId: TID, parentId: PID, traceFlags: 1 }],
  ['trailing space', `${VALID} `, { version: 0, traceId: TID, parentId: PID, traceFlags: 1 }],
  ['trailing tab', `${VALID}\t`, { version: 0, traceId: TID, parentId: PID, traceFlags: 1 }],
  [
    'several spaces and tabs both sides',
    ` \t ${VALID}\t \t`,
    { version: 0, traceId: TID, parentId: PID, traceFlags: 1 },
  ],
  [
    'future version, exactly 55 characters',
    `01-${TID}-${PID}-01`,
    { version: 1, traceId: TID, parentId: PID, traceFlags: 1 },
  ],
  [
    'future version with an extra field',
    `cc-${TID}-${PID}-01-what-the-future-will-be-like`,
    { version: 0xcc, traceId: TID, parentId: PID, traceFlags: 1 },
  ],
  [
    'future version with an empty extra field',
    `02-${TID}-${PID}-03-`,
    { version: 2, traceId: TID, parentId: PID, traceFlags: 3 },
  ],
  [
    'future version fe, extra fields with any characters',
    `fe-${TID}-${PID}-00-XYZ_ü-`,
    { version: 0xfe, traceId: TID, parentId: PID, traceFlags: 0 },
  ],
];

for (const [name, header, expected] of validTraceparents) {
  test(`traceparent valid: ${name}`, () => {
    const tp = parseTraceparent(header);
    assert.deepEqual(tp, expected);
    assert.ok(Object.isFrozen(tp));
  });
}

const invalidTraceparents: [name: string, header: string][] = [
  ['empty', ''],
  ['only whitespace', ' \t '],
  ['54 characters (flags one short)', `00-${TID}-${PID}-1`],
  ['56 characters (flags one long)', `00-${TID}-${PID}-001`],
  ['trace-id one short', `00-${TID.slice(1)}-${PID}-01`],
  ['trace-id one long', `00-${TID}a-${PID}-01`],
  ['parent-id one short', `00-${TID}-${PID.slice(1)}-01`],
  ['parent-id one long', `00-${TID}-${PID}a-01`],
  ['version one short', `0-${TID}-${PID}-01`],
  ['version one long', `000-${TID}-${PID}-01`],
  ['version 00 with an extra field', `00-${TID}-${PID}-01-what-the-future-will-be-like`],
  ['version 00 with a trailing dash', `00-${TID}-${PID}-01-`],
  ['version ff', `ff-${TID}-${PID}-01`],
  ['version ff with extra fields', `ff-${TID}-${PID}-01-00`],
  ['uppercase version', `0A-${TID}-${PID}-01`],
  ['uppercase trace-id', `00-${TID.toUpperCase()}-${PID}-01`],
  ['one uppercase hex digit in trace-id', `00-4BF92f3577b34da6a3ce929d0e0e4736-${PID}-01`],
  ['uppercase parent-id', `00-${TID}-${PID.toUpperCase()}-01`],
  ['uppercase flags', `00-${TID}-${PID}-0A`],
  ['non-hex in version', `0g-${TID}-${PID}-01`],
  ['non-hex in trace-id', `00-4bf92f3577b34da6a3ce929d0e0e473g-${PID}-01`],
  ['non-hex in parent-id', `00-${TID}-00f067aa0ba902bz-01`],
  ['non-hex in flags', `00-${TID}-${PID}-0x`],
  ['all-zero trace-id', `00-00000000000000000000000000000000-${PID}-01`],
  ['all-zero parent-id', `00-${TID}-0000000000000000-01`],
  ['all-zero trace-id in a future version', `01-00000000000000000000000000000000-${PID}-01`],
  ['underscore instead of dash', `00_${TID}-${PID}-01`],
  ['dot before parent-id', `00-${TID}.${PID}-01`],
  ['dot before flags', `00-${TID}-${PID}.01`],
  ['spaces around dashes', `00 - ${TID}-${PID}-01`],
  ['future version shorter than 55', `01-${TID}-${PID}-1`],
  [
    'future version, character 55 not a dash',
    `cc-${TID}-${PID}-01.what-the-future-will-not-be-like`,
  ],
  ['future version, flags run on', `cc-${TID}-${PID}-0100`],
  ['future version with uppercase trace-id', `01-${TID.toUpperCase()}-${PID}-01`],
  ['leading newline (not OWS)', `\n${VALID}`],
  ['trailing CRLF (not OWS)', `${VALID}\r\n`],
  ['non-breaking space (not OWS)', `\u00a0${VALID}`],
  ['space inside the flags', `00-${TID}-${PID}- 1`],
  ['space instead of a dash', `00-${TID} ${PID}-01`],
  ['two values joined by a comma', `${VALID}, ${VALID}`],
  ['fullwidth digits', VALID.replace('00-', '\uff10\uff10-')],
];

for (const [name, header] of invalidTraceparents) {
  test(`traceparent invalid: ${name}`, () => {
    assert.equal(parseTraceparent(header), undefined, JSON.stringify(header));
  });
}

test('traceparent: non-string input is invalid, not a throw', () => {
  for (const bad of [undefined, null, 42, {}, [VALID], Symbol('x')]) {
    assert.equal(parseTraceparent(bad as string), undefined);
  }
});

const formatCases: [name: string, tp: TraceParent, expected: string | undefined][] = [
  ['sampled', { version: 0, traceId: TID, parentId: PID, traceFlags: 1 }, VALID],
  [
    'random kept',
    { version: 0, traceId: TID, parentId: PID, traceFlags: 2 },
    `00-${TID}-${PID}-02`,
  ],
  [
    'sampled+random',
    { version: 0, traceId: TID, parentId: PID, traceFlags: 3 },
    `00-${TID}-${PID}-03`,
  ],
  [
    'unknown flags cleared',
    { version: 0, traceId: TID, parentId: PID, traceFlags: 0xfd },
    `00-${TID}-${PID}-01`,
  ],
  [
    'a future version is written as 00',
    { version: 0xcc, traceId: TID, parentId: PID, traceFlags: 1 },
    VALID,
  ],
  [
    'non-number flags written as 00',
    { version: 0, traceId: TID, parentId: PID, traceFlags: 'x' as unknown as number },
    `00-${TID}-${PID}-00`,
  ],
  [
    'NaN flags written as 00',
    { version: 0, traceId: TID, parentId: PID, traceFlags: NaN },
    `00-${TID}-${PID}-00`,
  ],
  [
    'all-zero trace-id',
    { version: 0, traceId: '0'.repeat(32), parentId: PID, traceFlags: 1 },
    undefined,
  ],
  [
    'all-zero parent-id',
    { version: 0, traceId: TID, parentId: '0'.repeat(16), traceFlags: 1 },
    undefined,
  ],
  [
    'uppercase trace-id',
    { version: 0, traceId: TID.toUpperCase(), parentId: PID, traceFlags: 1 },
    undefined,
  ],
  [
    'short parent-id',
    { version: 0, traceId: TID, parentId: PID.slice(1), traceFlags: 1 },
    undefined,
  ],
  [
    'trace-id not a string',
    { version: 0, traceId: 7 as unknown as string, parentId: PID, traceFlags: 1 },
    undefined,
  ],
];

for (const [name, tp, expected] of formatCases) {
  test(`formatTraceparent: ${name}`, () => {
    assert.equal(formatTraceparent(tp), expected);
  });
}

test('formatTraceparent: null or a non-object gives undefined', () => {
  for (const bad of [null, undefined, 'x', 1]) {
    assert.equal(formatTraceparent(bad as unknown as TraceParent), undefined);
  }
});

test('traceparent round trip: version 00 re-formats to itself', () => {
  for (const flags of ['00', '01', '02', '03']) {
    const header = `00-${TID}-${PID}-${flags}`;
    assert.equal(formatTraceparent(parseTraceparent(header)!), header);
  }
});

test('traceparent round trip: a future version is downgraded to a canonical 00 header', () => {
  const tp = parseTraceparent(`cc-${TID}-${PID}-07-extra`)!;
  assert.equal(formatTraceparent(tp), `00-${TID}-${PID}-03`);
  assert.equal(tp.traceFlags & TRACE_FLAG_SAMPLED, TRACE_FLAG_SAMPLED);
  assert.equal(tp.traceFlags & TRACE_FLAG_RANDOM, TRACE_FLAG_RANDOM);
});

// ---------------------------------------------------------------------------
// tracestate

const v256 = 'v'.repeat(255) + 'w';
const key256 = 'k' + 'a'.repeat(255);
const tenant241 = 't'.repeat(241);
const system14 = 's'.repeat(14);
const members = (n: number, from = 0): string =>
  Array.from({ length: n }, (_, i) => `k${i + from}=v${i + from}`).join(',');
const pairs = (n: number, from = 0): [string, string][] =>
  Array.from({ length: n }, (_, i) => [`k${i + from}`, `v${i + from}`]);

const tracestateCases: [name: string, header: string | string[], expected: [string, string][]][] = [
  ['empty header', '', []],
  ['only whitespace', ' \t ', []],
  ['only commas and whitespace', ' , ,\t,, ', []],
  ['one member', 'rojo=00f067aa0ba902b7', [['rojo', '00f067aa0ba902b7']]],
  [
    'spec example, two vendors',
    'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    [
      ['rojo', '00f067aa0ba902b7'],
      ['congo', 't61rcWkgMzE'],
    ],
  ],
  [
    'OWS (spaces and tabs) around members',
    ' \ta=1 ,\tb=2\t, c=3 ',
    [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ],
  ],
  [
    'empty members skipped',
    ',a=1,,, b=2,',
    [
      ['a', '1'],
      ['b', '2'],
    ],
  ],
  ['exactly 32 members kept', members(32), pairs(32)],
  ['33 members: the last one dropped', members(33), pairs(32)],
  ['40 members: truncated from the end', members(40), pairs(32)],
  [
    'invalid members do not count toward 32',
    `BAD=1,${members(16)},x=,${members(16, 16)},k99=v99`,
    pairs(32),
  ],
  [
    'duplicate key keeps the first',
    'a=1,b=2,a=3',
    [
      ['a', '1'],
      ['b', '2'],
    ],
  ],
  [
    'duplicate does not count toward 32',
    `${members(31)},k0=again,last=1,after=2`,
    [...pairs(31), ['last', '1']],
  ],
  ['uppercase key dropped', 'Rojo=1,congo=2', [['congo', '2']]],
  ['key starting with a digit dropped (simple key)', '1abc=1,ok=2', [['ok', '2']]],
  ['key with a forbidden character dropped', 'a.b=1,a+b=2,ok=3', [['ok', '3']]],
  ['key with every allowed character', 'a0_-*/z=1', [['a0_-*/z', '1']]],
  ['simple key of 256 characters', `${key256}=1`, [[key256, '1']]],
  ['simple key of 257 characters dropped', `${key256}x=1,ok=2`, [['ok', '2']]],
  ['multi-tenant key', 'fw529a3039@dt=1', [['fw529a3039@dt', '1']]],
  ['multi-tenant tenant may start with a digit', '1tenant@sys=1', [['1tenant@sys', '1']]],
  [
    'multi-tenant key at the maximum lengths (241@14)',
    `${tenant241}@${system14}=1`,
    [[`${tenant241}@${system14}`, '1']],
  ],
  ['tenant-id of 242 characters dropped', `${tenant241}t@sys=1,ok=2`, [['ok', '2']]],
  ['system-id of 15 characters dropped', `t@${system14}s=1,ok=2`, [['ok', '2']]],
  ['system-id starting with a digit dropped', 't@1sys=1,ok=2', [['ok', '2']]],
  ['empty tenant dropped', '@sys=1,ok=2', [['ok', '2']]],
  ['empty system dropped', 'tenant@=1,ok=2', [['ok', '2']]],
  ['two @ dropped', 'a@b@c=1,ok=2', [['ok', '2']]],
  ['empty key dropped', '=1,ok=2', [['ok', '2']]],
  ['member without = dropped', 'novalue,ok=2', [['ok', '2']]],
  ['empty value dropped', 'a=,ok=2', [['ok', '2']]],
  ['value with = dropped', 'a=b=c,ok=2', [['ok', '2']]],
  ['value of 256 characters kept', `a=${v256}`, [['a', v256]]],
  ['value of 257 characters dropped', `a=${v256}x,ok=2`, [['ok', '2']]],
  ['value with a tab dropped', 'a=x\ty,ok=2', [['ok', '2']]],
  ['value with non-ASCII dropped', 'a=caf\u00e9,ok=2', [['ok', '2']]],
  ['value with DEL dropped', 'a=x\u007f,ok=2', [['ok', '2']]],
  [
    'value with every other printable character',
    'a= !"#$%&\'()*+-./09:;<>?@AZ[\\]^_`az{|}~',
    [['a', ' !"#$%&\'()*+-./09:;<>?@AZ[\\]^_`az{|}~']],
  ],
  ['leading space in a value is part of it', 'a= x', [['a', ' x']]],
  [
    'trailing space after a value is OWS',
    'a=x ,b=y  ',
    [
      ['a', 'x'],
      ['b', 'y'],
    ],
  ],
  ['space before = makes the key invalid', 'a =1,ok=2', [['ok', '2']]],
  ['value of only spaces dropped', 'a=   ,ok=2', [['ok', '2']]],
  [
    'multiple header values are joined with commas',
    ['a=1,b=2', 'c=3', ' d=4 '],
    [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
    ],
  ],
  [
    'multiple header values: duplicates across values keep the first',
    ['a=1', 'a=2,b=3'],
    [
      ['a', '1'],
      ['b', '3'],
    ],
  ],
  ['multiple header values: empty ones allowed', ['', 'a=1', ''], [['a', '1']]],
  ['multiple header values: 32 limit across values', [members(20), members(20, 20)], pairs(32)],
  ['no header values', [], []],
];

for (const [name, header, expected] of tracestateCases) {
  test(`tracestate: ${name}`, () => {
    const ts = parseTracestate(header);
    assert.deepEqual(
      ts.entries().map(([k, v]) => [k, v]),
      expected,
    );
    assert.equal(ts.size, expected.length);
    assert.equal(formatTracestate(ts), expected.map(([k, v]) => `${k}=${v}`).join(','));
  });
}

test('tracestate: non-string input gives an empty list, not a throw', () => {
  for (const bad of [undefined, null, 42, {}, [1, null, {}]]) {
    assert.equal(parseTracestate(bad as string).size, 0);
  }
  assert.deepEqual(parseTracestate(['a=1', 7, 'b=2'] as unknown as string[]).entries(), [
    ['a', '1'],
    ['b', '2'],
  ]);
});

test('tracestate: a huge header is read only up to 32 members', () => {
  const huge = members(32) + ',x=1'.repeat(200_000);
  const ts = parseTracestate(huge);
  assert.equal(ts.size, 32);
});

test('tracestate key and value validators', () => {
  for (const key of ['a', 'z9', key256, `${tenant241}@${system14}`, '0@a']) {
    assert.ok(isValidTracestateKey(key), key);
  }
  for (const key of ['', 'A', '9', '_a', `${key256}a`, 'a@', '@a', 'a@9', 'a b', 'a=b', 7]) {
    assert.ok(!isValidTracestateKey(key), String(key));
  }
  for (const value of ['x', ' x', v256, '~']) assert.ok(isValidTracestateValue(value), value);
  for (const value of ['', ' ', 'x ', 'a,b', 'a=b', `${v256}x`, '\u0000', null]) {
    assert.ok(!isValidTracestateValue(value), String(value));
  }
});

// ---------------------------------------------------------------------------
// TraceState operations (§3.5 mutating tracestate)

test('TraceState.set: an updated member moves to the front, the others keep their order', () => {
  const ts = parseTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,x=1');
  const next = ts.set('rojo', 'b9c7c989f97918e1');
  assert.equal(formatTracestate(next), 'rojo=b9c7c989f97918e1,congo=t61rcWkgMzE,x=1');
  // Immutable: the original is unchanged.
  assert.equal(formatTracestate(ts), 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,x=1');
});

test('TraceState.set: setting the same value still moves it to the front', () => {
  const ts = parseTracestate('a=1,b=2,c=3');
  assert.equal(formatTracestate(ts.set('c', '3')), 'c=3,a=1,b=2');
});

test('TraceState.set: a new member is added at the front', () => {
  const ts = parseTracestate('congo=t61rcWkgMzE');
  assert.equal(formatTracestate(ts.set('rojo', '1')), 'rojo=1,congo=t61rcWkgMzE');
  assert.equal(formatTracestate(TraceState.EMPTY.set('a', '1')), 'a=1');
});

test('TraceState.set: a full list drops its last member to make room', () => {
  const ts = parseTracestate(members(32));
  const next = ts.set('new', 'x');
  assert.equal(next.size, MAX_TRACESTATE_MEMBERS);
  assert.deepEqual(next.entries()[0], ['new', 'x']);
  assert.equal(next.get('k31'), undefined);
  assert.equal(next.get('k30'), 'v30');
  // Updating a member of a full list drops nothing.
  const updated = ts.set('k31', 'y');
  assert.equal(updated.size, 32);
  assert.deepEqual(updated.entries()[0], ['k31', 'y']);
  assert.equal(updated.get('k30'), 'v30');
});

test('TraceState.set: an invalid key or value leaves the list unchanged', () => {
  const ts = parseTracestate('a=1');
  for (const [k, v] of [
    ['A', '1'],
    ['b', ''],
    ['b', 'x,y'],
    ['b', 'x '],
    ['b', `${v256}x`],
  ] as const) {
    assert.equal(ts.set(k, v), ts);
  }
});

test('TraceState.get and delete', () => {
  const ts = parseTracestate('a=1,b=2,c=3');
  assert.equal(ts.get('b'), '2');
  assert.equal(ts.get('zz'), undefined);
  const without = ts.delete('b');
  assert.equal(formatTracestate(without), 'a=1,c=3');
  assert.equal(ts.get('b'), '2');
  assert.equal(ts.delete('zz'), ts);
  assert.equal(without.delete('a').delete('c'), TraceState.EMPTY);
  assert.equal(formatTracestate(ts.unset('a')), 'b=2,c=3');
});

test('TraceState.entries is frozen', () => {
  const ts = parseTracestate('a=1');
  assert.ok(Object.isFrozen(ts.entries()));
  assert.ok(Object.isFrozen(ts.entries()[0]));
});

test('TraceState.fromEntries applies the parsing rules', () => {
  const ts = TraceState.fromEntries([
    ['a', '1'],
    ['BAD', '1'],
    ['a', '2'],
    ['b', 'x,y'],
    ['c', '3'],
    ...pairs(40),
  ]);
  assert.equal(ts.size, 32);
  assert.deepEqual(ts.entries().slice(0, 3), [
    ['a', '1'],
    ['c', '3'],
    ['k0', 'v0'],
  ]);
  const throwing = {
    *[Symbol.iterator](): Generator<[string, string]> {
      yield ['a', '1'];
      throw new Error('boom');
    },
  };
  assert.equal(formatTracestate(TraceState.fromEntries(throwing)), 'a=1');
});

test('tracestate round trip: format then parse gives the same list', () => {
  for (const header of [
    'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    members(32),
    `a= x,${tenant241}@${system14}=${v256}`,
  ]) {
    const ts = parseTracestate(header);
    assert.equal(formatTracestate(ts), header);
    assert.deepEqual(parseTracestate(formatTracestate(ts)).entries(), ts.entries());
  }
  assert.equal(formatTracestate(parseTracestate(' a=1 , ,b=2\t')), 'a=1,b=2');
});

// ---------------------------------------------------------------------------
// propagator

const propagator = new VigilTraceContextPropagator();

function extractFrom(headers: Record<string, unknown>): SpanContext | undefined {
  const ctx = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  return trace.getSpanContext(ctx);
}

function injectInto(ctx: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

function withSpanContext(sc: SpanContext): Context {
  return trace.setSpanContext(ROOT_CONTEXT, sc);
}

test('propagator.fields', () => {
  assert.deepEqual(propagator.fields(), ['traceparent', 'tracestate']);
});

test('extract: a valid traceparent gives a remote span context', () => {
  const sc = extractFrom({ traceparent: VALID, tracestate: 'rojo=1,congo=2' });
  assert.ok(sc);
  assert.equal(sc.traceId, TID);
  assert.equal(sc.spanId, PID);
  assert.equal(sc.traceFlags, 1);
  assert.equal(sc.isRemote, true);
  assert.ok(sc.traceState instanceof TraceState);
  assert.equal(sc.traceState.serialize(), 'rojo=1,congo=2');
});

test('extract: the random flag is kept, unknown flags are not', () => {
  assert.equal(extractFrom({ traceparent: `00-${TID}-${PID}-03` })?.traceFlags, 3);
  assert.equal(extractFrom({ traceparent: `00-${TID}-${PID}-fe` })?.traceFlags, 2);
});

test('extract: an invalid traceparent leaves the context alone', () => {
  for (const [, header] of invalidTraceparents) {
    const ctx = propagator.extract(
      ROOT_CONTEXT,
      { traceparent: header, tracestate: 'a=1' },
      defaultTextMapGetter,
    );
    assert.equal(ctx, ROOT_CONTEXT, JSON.stringify(header));
  }
  assert.equal(propagator.extract(ROOT_CONTEXT, {}, defaultTextMapGetter), ROOT_CONTEXT);
});

test('extract: an existing span context stays when the traceparent is invalid', () => {
  const parent = withSpanContext({ traceId: TID, spanId: PID, traceFlags: 1 });
  const ctx = propagator.extract(parent, { traceparent: 'garbage' }, defaultTextMapGetter);
  assert.equal(ctx, parent);
});

test('extract: a valid traceparent with an invalid tracestate keeps the traceparent', () => {
  const sc = extractFrom({ traceparent: VALID, tracestate: 'BAD KEY=1,=,a=b=c' });
  assert.equal(sc?.traceId, TID);
  assert.equal(sc?.traceState, undefined);
  const partly = extractFrom({ traceparent: VALID, tracestate: 'BAD=1,ok=2' });
  assert.equal(partly?.traceState?.serialize(), 'ok=2');
});

test('extract: several traceparent values are invalid, one in an array is fine', () => {
  assert.equal(extractFrom({ traceparent: [VALID, VALID] }), undefined);
  assert.equal(extractFrom({ traceparent: [] }), undefined);
  assert.equal(extractFrom({ traceparent: [VALID] })?.traceId, TID);
});

test('extract: several tracestate values are joined', () => {
  const sc = extractFrom({ traceparent: VALID, tracestate: ['a=1', 'b=2'] });
  assert.equal(sc?.traceState?.serialize(), 'a=1,b=2');
});

test('extract: header names in any case', () => {
  const sc = extractFrom({ TraceParent: VALID, TRACESTATE: 'a=1' });
  assert.equal(sc?.traceId, TID);
  assert.equal(sc?.traceState?.get('a'), '1');
});

test('extract: a throwing getter leaves the context alone', () => {
  const throwing: TextMapGetter<unknown> = {
    keys: () => {
      throw new Error('keys');
    },
    get: () => {
      throw new Error('get');
    },
  };
  assert.equal(propagator.extract(ROOT_CONTEXT, {}, throwing), ROOT_CONTEXT);
  // A getter that fails only for tracestate still yields the traceparent.
  const halfBroken: TextMapGetter<unknown> = {
    keys: () => [],
    get: (_c, key) => {
      if (key === 'traceparent') return VALID;
      throw new Error('tracestate');
    },
  };
  const sc = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, {}, halfBroken));
  assert.equal(sc?.traceId, TID);
});

test('inject: writes both headers from the active span context', () => {
  const ctx = withSpanContext({
    traceId: TID,
    spanId: PID,
    traceFlags: 3,
    traceState: parseTracestate('rojo=1,congo=2'),
  });
  assert.deepEqual(injectInto(ctx), {
    traceparent: `00-${TID}-${PID}-03`,
    tracestate: 'rojo=1,congo=2',
  });
});

test('inject: omits tracestate when empty, clears unknown flags', () => {
  assert.deepEqual(injectInto(withSpanContext({ traceId: TID, spanId: PID, traceFlags: 0xff })), {
    traceparent: `00-${TID}-${PID}-03`,
  });
  assert.deepEqual(
    injectInto(
      withSpanContext({ traceId: TID, spanId: PID, traceFlags: 0, traceState: TraceState.EMPTY }),
    ),
    { traceparent: `00-${TID}-${PID}-00` },
  );
});

test('inject: writes nothing without a valid span context', () => {
  assert.deepEqual(injectInto(ROOT_CONTEXT), {});
  assert.deepEqual(
    injectInto(withSpanContext({ traceId: '0'.repeat(32), spanId: PID, traceFlags: 1 })),
    {},
  );
  assert.deepEqual(
    injectInto(withSpanContext({ traceId: TID, spanId: '0'.repeat(16), traceFlags: 1 })),
    {},
  );
});

test('inject: writes nothing while tracing is suppressed', () => {
  const key = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
  const ctx = withSpanContext({ traceId: TID, spanId: PID, traceFlags: 1 }).setValue(key, true);
  assert.deepEqual(injectInto(ctx), {});
});

test('inject: uppercase ids (valid for OpenTelemetry) go out lowercase', () => {
  const ctx = withSpanContext({
    traceId: TID.toUpperCase(),
    spanId: PID.toUpperCase(),
    traceFlags: 1,
  });
  assert.deepEqual(injectInto(ctx), { traceparent: VALID });
});

test('inject: a foreign TraceState is revalidated', () => {
  const foreign = createTraceState('a=1,b=2');
  const ctx = withSpanContext({ traceId: TID, spanId: PID, traceFlags: 1, traceState: foreign });
  assert.deepEqual(injectInto(ctx), { traceparent: VALID, tracestate: 'a=1,b=2' });
  const broken = {
    set: () => broken,
    unset: () => broken,
    get: () => undefined,
    serialize: () => {
      throw new Error('serialize');
    },
  };
  const ctx2 = withSpanContext({ traceId: TID, spanId: PID, traceFlags: 1, traceState: broken });
  assert.deepEqual(injectInto(ctx2), { traceparent: VALID });
});

test('inject: a throwing setter does not throw into the caller', () => {
  const setter: TextMapSetter<unknown> = {
    set: () => {
      throw new Error('set');
    },
  };
  const ctx = withSpanContext({ traceId: TID, spanId: PID, traceFlags: 1 });
  assert.doesNotThrow(() => propagator.inject(ctx, {}, setter));
});

test('propagator round trip: extract then inject forwards the headers unchanged', () => {
  for (const [traceparent, tracestate] of [
    [VALID, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
    [`00-${TID}-${PID}-02`, members(32)],
    [`00-${TID}-${PID}-00`, undefined],
  ] as const) {
    const headers: Record<string, string> = { traceparent };
    if (tracestate !== undefined) headers.tracestate = tracestate;
    const ctx = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    assert.deepEqual(injectInto(ctx), headers);
  }
});

test('propagator round trip: a participant updates parent-id and moves its entry first', () => {
  const ctx = propagator.extract(
    ROOT_CONTEXT,
    {
      traceparent: `00-${TID}-00f067aa0ba902b7-01`,
      tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    },
    defaultTextMapGetter,
  );
  const parent = trace.getSpanContext(ctx)!;
  const child: SpanContext = {
    traceId: parent.traceId,
    spanId: 'b9c7c989f97918e1',
    traceFlags: parent.traceFlags,
    traceState: parent.traceState?.set('congo', 'ucfJifl5GOE'),
  };
  assert.deepEqual(injectInto(withSpanContext(child)), {
    traceparent: `00-${TID}-b9c7c989f97918e1-01`,
    tracestate: 'congo=ucfJifl5GOE,rojo=00f067aa0ba902b7',
  });
});

test('KNOWN_TRACE_FLAGS is sampled | random', () => {
  assert.equal(KNOWN_TRACE_FLAGS, TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM);
  assert.equal(KNOWN_TRACE_FLAGS, 0x03);
});
