import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/model';
import type { ExpositionFormat } from './format.js';
import type { ExpositionFamily } from './model.js';
import { DEFAULT_PARSER_LIMITS, ExpositionParser, StringTable, parseExposition } from './parser.js';
import type { ExpositionSink } from './parser.js';
import { fixture, outcome, parseChunks, prng, utf8 } from './helpers.test.util.js';
import type { Outcome } from './helpers.test.util.js';

/** Text with multi-byte characters, escapes, CRLF and blank lines, for splitting. */
const TEXT_SPLIT = utf8(
  '# HELP tricky_total Ünïcødé help — 日本語 \\\\ and \\n\r\n' +
    '# TYPE tricky_total counter\r\n' +
    '\r\n' +
    'tricky_total{path="/ü/🚀",q="say \\"hi\\"\\n",e=""} 1.5e3 1395066363000\r\n' +
    'tricky_total{path="/ü/🚀",q="x"} NaN\r\n' +
    '  other { a = "日本" } -Inf\r\n',
);

/** OpenMetrics with exemplars, multi-byte characters and every metadata line, for splitting. */
const OM_SPLIT = utf8(
  '# TYPE req counter\n# HELP req Requests — ✓ \\"quoted\\"\n' +
    'req_total{route="/ü"} 3 1520879607.789 # {trace_id="日本🚀"} 0.5 1520879607.7\n' +
    'req_created{route="/ü"} 1520430000.123\n' +
    '# TYPE lat_seconds histogram\n# UNIT lat_seconds seconds\n' +
    'lat_seconds_bucket{le="0.1"} 1 # {id="a"} 0.05\nlat_seconds_bucket{le="+Inf"} 2\n' +
    'lat_seconds_count 2\nlat_seconds_sum 0.3\n# EOF\n',
);

function splitAt(bytes: Uint8Array, at: number): Uint8Array[] {
  return [bytes.subarray(0, at), bytes.subarray(at)];
}

function same(a: Outcome, b: Outcome, label: string): void {
  if (a.ok && b.ok) {
    assert.deepStrictEqual(b.families, a.families, label);
  } else {
    assert.deepStrictEqual(
      b.ok ? 'ok' : [b.code, b.line, b.column, b.message],
      a.ok ? 'ok' : [a.code, a.line, a.column, a.message],
      label,
    );
  }
}

for (const [format, bytes] of [
  ['text', TEXT_SPLIT],
  ['openmetrics', OM_SPLIT],
] as [ExpositionFormat, Uint8Array][]) {
  test(`${format}: the same result whatever the chunk boundaries`, () => {
    const whole = outcome(() => parseChunks(format, [bytes]));
    assert.ok(whole.ok, 'the input is valid');
    // Every two-piece split, including inside multi-byte characters and "\r\n".
    for (let at = 0; at <= bytes.length; at++) {
      same(
        whole,
        outcome(() => parseChunks(format, splitAt(bytes, at))),
        `split at ${at}`,
      );
    }
    // One byte at a time, and random splits into many pieces.
    const single = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    same(
      whole,
      outcome(() => parseChunks(format, single)),
      'one byte per chunk',
    );
    const random = prng(42);
    for (let round = 0; round < 200; round++) {
      const chunks: Uint8Array[] = [];
      let at = 0;
      while (at < bytes.length) {
        const n = Math.floor(random() * 12);
        chunks.push(bytes.subarray(at, at + n));
        at += n;
      }
      same(
        whole,
        outcome(() => parseChunks(format, chunks)),
        `random split ${round}`,
      );
    }
    // Strings split anywhere, surrogate pairs included.
    const text = new TextDecoder().decode(bytes);
    for (let at = 0; at <= text.length; at++) {
      same(
        whole,
        outcome(() => parseChunks(format, [text.slice(0, at), text.slice(at)])),
        `string ${at}`,
      );
    }
  });

  test(`${format}: errors are the same whatever the chunk boundaries`, () => {
    // Break the input in the middle of its third line.
    const broken = new Uint8Array(bytes);
    let line = 0;
    let at = 0;
    while (line < 3) if (broken[at++] === 10) line++;
    broken[at + 3] = 0x7b; // '{'
    const whole = outcome(() => parseChunks(format, [broken]));
    assert.equal(whole.ok, false);
    for (let cut = 0; cut <= broken.length; cut++) {
      same(
        whole,
        outcome(() => parseChunks(format, splitAt(broken, cut))),
        `split at ${cut}`,
      );
    }
  });
}

test('samples are delivered as soon as their line is complete', () => {
  const seen: string[] = [];
  const parser = new ExpositionParser('openmetrics', {
    sample(_family, name, labels, value) {
      seen.push(`${name}${JSON.stringify(labels)}=${value}`);
    },
  });
  parser.push('a{x="1"} 1\na{x="2"');
  assert.deepEqual(seen, ['a["x","1"]=1']);
  assert.equal(parser.bufferedBytes, 7);
  parser.push('} 2\n# EO');
  assert.deepEqual(seen, ['a["x","1"]=1', 'a["x","2"]=2']);
  parser.push('F');
  parser.end();
  assert.equal(parser.lines, 3);
  assert.equal(parser.samples, 2);
});

test('family metadata reaches the sink before the samples and is shared by them', () => {
  const events: string[] = [];
  const families = new Set<unknown>();
  const sink: ExpositionSink = {
    family(family) {
      events.push(`family ${family.name} ${family.type}`);
    },
    sample(family, name) {
      families.add(family);
      events.push(
        `sample ${name} of ${family.name} (${family.type}, ${family.unit}, ${family.help})`,
      );
    },
  };
  const parser = new ExpositionParser('openmetrics', sink);
  parser.push(
    '# TYPE t_seconds counter\n# UNIT t_seconds seconds\n# HELP t_seconds Time.\n' +
      't_seconds_total 1\nt_seconds_created 2\nbare 3\n# EOF\n',
  );
  parser.end();
  assert.deepEqual(events, [
    'family t_seconds unknown',
    'sample t_seconds_total of t_seconds (counter, seconds, Time.)',
    'sample t_seconds_created of t_seconds (counter, seconds, Time.)',
    'family bare unknown',
    'sample bare of bare (unknown, undefined, undefined)',
  ]);
  assert.equal(families.size, 2);
});

test('seriesText gives the raw series of the current sample', () => {
  const keys: string[] = [];
  const parser = new ExpositionParser('text', {
    sample() {
      keys.push(parser.seriesText());
    },
  });
  parser.push('a{x="1", y="é"} 1 123\nb 2\n  c {} 3\n');
  parser.end();
  assert.deepEqual(keys, ['a{x="1", y="é"}', 'b', 'c {}']);
});

test('equal names and values are the same strings, across parsers sharing a StringTable', () => {
  const strings = new StringTable();
  const runs: (readonly string[])[][] = [];
  for (let run = 0; run < 2; run++) {
    const labels: (readonly string[])[] = [];
    const parser = new ExpositionParser(
      'text',
      {
        sample(_f, _n, l) {
          labels.push(l);
        },
      },
      { strings },
    );
    parser.push('m{route="/api/users/:id",le="0.1"} 1\nm{route="/api/users/:id",le="1"} 2\n');
    parser.push('m{route="/api/users/:id",le="+Inf"} 3\n');
    parser.end();
    runs.push(labels);
  }
  const [first, second] = runs as [(readonly string[])[], (readonly string[])[]];
  assert.equal(first[0]![1], first[2]![1]);
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 4; k++)
      assert.ok(Object.is(first[i]![k], second[i]![k]), `label ${i}/${k}`);
  }
  // The labels arrays themselves are fresh.
  assert.notEqual(first[0], second[0]);
});

test('a stream without line feeds fails at the line limit with bounded memory', () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const parser = new ExpositionParser('text', { sample() {} });
  const heapBefore = process.memoryUsage().heapUsed;
  let pushed = 0;
  let error: unknown;
  try {
    while (pushed < 100 * 1024 * 1024) {
      parser.push(chunk);
      pushed += chunk.length;
      assert.ok(parser.bufferedBytes <= DEFAULT_PARSER_LIMITS.maxLineBytes);
    }
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof VigilError && error.code === 'EXPOSITION_LIMIT', String(error));
  assert.ok(pushed <= DEFAULT_PARSER_LIMITS.maxLineBytes, `failed after ${pushed} bytes`);
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 32 * 1024 * 1024);

  // One huge chunk fails without being copied.
  const huge = new Uint8Array(16 * 1024 * 1024).fill(0x62);
  const start = performance.now();
  const got = outcome(() => parseChunks('openmetrics', [huge]));
  assert.ok(!got.ok && got.code === 'EXPOSITION_LIMIT' && got.line === 1);
  assert.ok(performance.now() - start < 2000);
});

test('fixtures: a node-exporter-like text exposition', () => {
  const families = parseExposition(fixture('node-exporter.prom'), 'text');
  assert.equal(families.length, 36);
  assert.equal(
    families.reduce((n, f) => n + f.samples.length, 0),
    86,
  );
  const byName = new Map(families.map((f) => [f.name, f]));
  const gc = byName.get('go_gc_duration_seconds')!;
  assert.equal(gc.type, 'summary');
  assert.equal(gc.samples.length, 7);
  assert.deepEqual(gc.samples[4], {
    name: 'go_gc_duration_seconds',
    labels: ['quantile', '1'],
    value: 0.000917307,
  });
  const info = byName.get('node_network_info')!;
  assert.equal(info.samples[1]!.labels[11], 'up');
  assert.equal(info.samples[1]!.labels[9], 'uplink "A" \\ primary');
  assert.equal(
    byName.get('node_uname_info')!.samples[0]!.labels[11],
    '#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)',
  );
  const http = byName.get('prometheus_http_request_duration_seconds')!;
  assert.equal(http.type, 'histogram');
  assert.deepEqual(
    http.samples.map((s) => s.name),
    [
      ...Array<string>(7).fill('prometheus_http_request_duration_seconds_bucket'),
      'prometheus_http_request_duration_seconds_sum',
      'prometheus_http_request_duration_seconds_count',
    ],
  );
  assert.equal(byName.get('node_cpu_seconds_total')!.samples.length, 16);
  assert.equal(byName.get('node_time_seconds')!.samples[0]!.value, 1.6970193503355038e9);
});

test('fixtures: an OpenMetrics exposition with every type', () => {
  const families = parseExposition(fixture('openmetrics.txt'), 'openmetrics');
  assert.deepEqual(
    families.map((f) => `${f.name}:${f.type}:${f.unit ?? ''}:${f.samples.length}`),
    [
      'acme_http_router_request_seconds:summary:seconds:6',
      'go_goroutines:gauge::1',
      'process_cpu_seconds:counter:seconds:1',
      'http_requests:counter::4',
      'foo:histogram::14',
      'queue_wait_seconds:gaugehistogram:seconds:7',
      'rpc_latency_seconds:summary::4',
      'build:info::1',
      'door:stateset::4',
      'legacy:unknown::1',
      'temperature_celsius:gauge:celsius:3',
    ],
  );
  const http = families[3]!;
  assert.equal(http.help, 'Requests served, with "quotes", a \\ backslash and a\nsecond line.');
  assert.deepEqual(http.samples[0], {
    name: 'http_requests_total',
    labels: ['code', '200', 'route', '/users/:id'],
    value: 1027,
    timestampMs: 1520879607789,
    exemplar: { labels: ['trace_id', 'KOO5S4vxi0o'], value: 1, timestampMs: 1520879607700 },
  });
  assert.deepEqual(families[4]!.samples[3]!.exemplar, { labels: [], value: 0.054 });
  assert.deepEqual(families[9]!.samples[0], {
    name: 'legacy',
    labels: ['kind', 'Ünïcødé ✓ 日本語'],
    value: 42.23,
    timestampMs: 1520879607000,
  });
  assert.deepEqual(families[10]!.samples[2], {
    name: 'temperature_celsius',
    labels: ['sensor', 's3'],
    value: 0.0015,
    timestampMs: -1500,
  });
});

test('a large exposition pushed whole, in one-line chunks and as 1-byte chunks agrees', () => {
  const bytes = fixture('node-exporter.prom');
  const whole: ExpositionFamily[] = parseChunks('text', [bytes]);
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 10) {
      lines.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  assert.deepStrictEqual(parseChunks('text', lines), whole);
  assert.deepStrictEqual(
    parseChunks(
      'text',
      Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)),
    ),
    whole,
  );
});

test('the previous-line fast paths agree with parsing every line afresh', () => {
  // Consecutive lines whose shared prefix ends inside a name, inside a value, at a
  // closing quote, before a comma, with le and quantile in every position.
  const text =
    'm{a="1",le="0.5",b="x"} 1\n' +
    'm{a="1",le="+Inf",b="x"} 2\n' +
    'm{a="1",b="x"} 3\n' +
    'm{a="1x",b="x"} 4\n' +
    'm{a="1"} 5\n' +
    'm{a="1",b="2"} 6\n' +
    'm{a="1",b="2",c="3"} 7\n' +
    'm{a="1",b="2"} 8\n' +
    'm{a="1",b="2",} 9\n' +
    'mm{a="1",b="2"} 10\n' +
    'm {a="1", b = "2"} 11\n' +
    'm {a="1", b = "2" c="3"} 12\n' +
    'm{a="\\"1",b="2"} 13\n' +
    'm{a="\\"1",b="é"} 14\n' +
    'm{a="\\"1",b="é\\n"} 15\n' +
    'm 16\n' +
    'm{} 17\n' +
    'm{quantile="0.5",a="1"} 18\n' +
    'm{quantile="0.9",a="1"} 19\n' +
    'm{a="1",quantile="0.9"} 20\n';
  const om =
    '# TYPE h histogram\n' +
    'h_bucket{a="1",le="0.5",b="x"} 1\n' +
    'h_bucket{a="1",le="1",b="x"} 1\n' +
    'h_bucket{a="1",le="+Inf",b="x"} 2\n' +
    'h_count{a="1",b="x"} 2\n' +
    'h_bucket{le="0.5",a="1",b="y"} 1\n' +
    'h_bucket{le="+Inf",a="1",b="y"} 2\n' +
    'h_bucket{le="0.5",a="1",b="y"} 1 1\n' +
    'h_bucket{le="+Inf",a="1",b="y"} 2 1\n' +
    '# TYPE s summary\n' +
    's{quantile="0.5",a="1"} 1\n' +
    's{quantile="0.9",a="1"} 1\n' +
    's{a="1",quantile="0.99"} 1\n' +
    's_sum{a="1"} 1\n' +
    '# EOF\n';
  for (const [format, input] of [
    ['text', text],
    ['openmetrics', om],
  ] as const) {
    const bytes = utf8(input);
    const lines: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 10) {
        lines.push(bytes.subarray(start, i + 1));
        start = i + 1;
      }
    }
    const whole = parseChunks(format, [bytes]);
    assert.deepStrictEqual(parseChunks(format, lines), whole, format);
    assert.deepStrictEqual(whole, parseExposition(input, format), format);
  }
  assert.deepEqual(
    parseExposition(text, 'text')[0]!
      .samples.slice(0, 9)
      .map((s) => s.labels),
    [
      ['a', '1', 'le', '0.5', 'b', 'x'],
      ['a', '1', 'le', '+Inf', 'b', 'x'],
      ['a', '1', 'b', 'x'],
      ['a', '1x', 'b', 'x'],
      ['a', '1'],
      ['a', '1', 'b', '2'],
      ['a', '1', 'b', '2', 'c', '3'],
      ['a', '1', 'b', '2'],
      ['a', '1', 'b', '2'],
    ],
  );
  // A bucket order error is still found when the labels come from the previous line.
  assert.throws(
    () =>
      parseExposition(
        '# TYPE h histogram\nh_bucket{a="1",le="1"} 1\nh_bucket{a="1",le="0.5"} 1\n# EOF\n',
        'openmetrics',
      ),
    /line 3, column 20: bucket le="0.5"/,
  );
  assert.throws(
    () =>
      parseExposition(
        '# TYPE s summary\ns{quantile="0.5"} 1\ns{quantile="2"} 1\n# EOF\n',
        'openmetrics',
      ),
    /line 3, column 13: invalid quantile="2"/,
  );
});

test('the string table stays correct when it grows and is cleared', () => {
  const strings = new StringTable();
  let lines = '';
  for (let i = 0; i < 20_000; i++) lines += `m{v="value-${i}-${'x'.repeat(i % 100)}"} ${i}\n`;
  for (let round = 0; round < 2; round++) {
    let wrong = 0;
    let count = 0;
    const parser = new ExpositionParser(
      'text',
      {
        sample(_family, _name, labels, value) {
          count++;
          if (labels[1] !== `value-${value}-${'x'.repeat(value % 100)}`) wrong++;
        },
      },
      { strings },
    );
    parser.push(lines);
    parser.end();
    assert.equal(count, 20_000);
    assert.equal(wrong, 0);
  }
});
