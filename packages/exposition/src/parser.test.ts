import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/model';
import type { ExpositionFormat } from './format.js';
import type { ExpositionFamily } from './model.js';
import { ExpositionParser, parseExposition } from './parser.js';
import type { ExpositionSink, ParserOptions } from './parser.js';
import { outcome, parseChunks, prng, utf8 } from './helpers.test.util.js';

interface Valid {
  name: string;
  input: string;
  families: ExpositionFamily[];
}

const TEXT_VALID: Valid[] = [
  {
    name: 'HELP, TYPE, labels and a timestamp',
    input:
      '# HELP http_requests_total The total number of HTTP requests.\n' +
      '# TYPE http_requests_total counter\n' +
      'http_requests_total{method="post",code="200"} 1027 1395066363000\n' +
      'http_requests_total{method="post",code="400"}    3 1395066363000\n',
    families: [
      {
        name: 'http_requests_total',
        type: 'counter',
        help: 'The total number of HTTP requests.',
        samples: [
          {
            name: 'http_requests_total',
            labels: ['method', 'post', 'code', '200'],
            value: 1027,
            timestampMs: 1395066363000,
          },
          {
            name: 'http_requests_total',
            labels: ['method', 'post', 'code', '400'],
            value: 3,
            timestampMs: 1395066363000,
          },
        ],
      },
    ],
  },
  {
    name: 'blank lines, comments, blanks around every token, CRLF, no final newline',
    input:
      '\n  \t\r\n# A comment\n#no space comment\n# HELP\n# TYPEWRITER x\n' +
      '\t  metric_without_timestamp_and_labels\t12.47  \r\n' +
      'spaced { a = "1" , b="2" , } 3\r\n' +
      'nocomma{a="1" b="2"}4\n' +
      'empty{} -1',
    families: [
      {
        name: 'metric_without_timestamp_and_labels',
        type: 'untyped',
        samples: [{ name: 'metric_without_timestamp_and_labels', labels: [], value: 12.47 }],
      },
      {
        name: 'spaced',
        type: 'untyped',
        samples: [{ name: 'spaced', labels: ['a', '1', 'b', '2'], value: 3 }],
      },
      {
        name: 'nocomma',
        type: 'untyped',
        samples: [{ name: 'nocomma', labels: ['a', '1', 'b', '2'], value: 4 }],
      },
      { name: 'empty', type: 'untyped', samples: [{ name: 'empty', labels: [], value: -1 }] },
    ],
  },
  {
    name: 'escaping in label values and HELP',
    input:
      '# HELP msdos_file_access_time_seconds Path \\\\ and\\nnewline, \\"kept\\" \\t kept\n' +
      '# TYPE msdos_file_access_time_seconds gauge\n' +
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\"",odd="\\t\\q"} 1.458255915e9\n',
    families: [
      {
        name: 'msdos_file_access_time_seconds',
        type: 'gauge',
        help: 'Path \\ and\nnewline, \\"kept\\" \\t kept',
        samples: [
          {
            name: 'msdos_file_access_time_seconds',
            labels: [
              'path',
              'C:\\DIR\\FILE.TXT',
              'error',
              'Cannot find file:\n"FILE.TXT"',
              'odd',
              '\\t\\q',
            ],
            value: 1.458255915e9,
          },
        ],
      },
    ],
  },
  {
    name: 'float spellings',
    input:
      'a{v="1"} NaN\na{v="2"} +Inf\na{v="3"} -Inf\na{v="4"} Inf\na{v="5"} .5e1\na{v="6"} -0.0\n',
    families: [
      {
        name: 'a',
        type: 'untyped',
        samples: [
          { name: 'a', labels: ['v', '1'], value: NaN },
          { name: 'a', labels: ['v', '2'], value: Infinity },
          { name: 'a', labels: ['v', '3'], value: -Infinity },
          { name: 'a', labels: ['v', '4'], value: Infinity },
          { name: 'a', labels: ['v', '5'], value: 5 },
          { name: 'a', labels: ['v', '6'], value: -0 },
        ],
      },
    ],
  },
  {
    name: 'histogram and summary suffixes; samples outside the TYPE family; interleaving regrouped',
    input:
      '# TYPE h histogram\n' +
      'h_bucket{le="0.5"} 1\n' +
      'other 7\n' +
      'h_bucket{le="+Inf"} 2\n' +
      'h_sum 0.7\n' +
      'h_count 2\n' +
      'h_created 5\n' +
      '# TYPE s summary\n' +
      's{quantile="0.5"} 3\n' +
      's_sum 6\n' +
      's_count 2\n' +
      'other 8\n',
    families: [
      {
        name: 'h',
        type: 'histogram',
        samples: [
          { name: 'h_bucket', labels: ['le', '0.5'], value: 1 },
          { name: 'h_bucket', labels: ['le', '+Inf'], value: 2 },
          { name: 'h_sum', labels: [], value: 0.7 },
          { name: 'h_count', labels: [], value: 2 },
        ],
      },
      {
        name: 'other',
        type: 'untyped',
        samples: [
          { name: 'other', labels: [], value: 7 },
          { name: 'other', labels: [], value: 8 },
        ],
      },
      {
        name: 'h_created',
        type: 'untyped',
        samples: [{ name: 'h_created', labels: [], value: 5 }],
      },
      {
        name: 's',
        type: 'summary',
        samples: [
          { name: 's', labels: ['quantile', '0.5'], value: 3 },
          { name: 's_sum', labels: [], value: 6 },
          { name: 's_count', labels: [], value: 2 },
        ],
      },
    ],
  },
  {
    name: 'counters with and without _total; tolerated TYPE spacing',
    input: '# TYPE c counter\nc_total 1\nc 2\n# TYPE d_total  counter \nd_total 3\nd 4\n',
    families: [
      {
        name: 'c',
        type: 'counter',
        samples: [
          { name: 'c_total', labels: [], value: 1 },
          { name: 'c', labels: [], value: 2 },
        ],
      },
      { name: 'd_total', type: 'counter', samples: [{ name: 'd_total', labels: [], value: 3 }] },
      // As in Prometheus, "d" is not in family "d_total" (the sample must start with the family name).
      { name: 'd', type: 'untyped', samples: [{ name: 'd', labels: [], value: 4 }] },
    ],
  },
  {
    name: 'HELP then TYPE is one family; a second TYPE starts another; late HELP',
    input:
      '# HELP g Some gauge.\n# TYPE g gauge\ng 1\n# TYPE g gauge\ng 2\nlate 3\n# HELP late Comes late.\n',
    families: [
      {
        name: 'g',
        type: 'gauge',
        help: 'Some gauge.',
        samples: [{ name: 'g', labels: [], value: 1 }],
      },
      { name: 'g', type: 'gauge', samples: [{ name: 'g', labels: [], value: 2 }] },
      { name: 'late', type: 'untyped', samples: [{ name: 'late', labels: [], value: 3 }] },
      { name: 'late', type: 'untyped', help: 'Comes late.', samples: [] },
    ],
  },
  {
    name: 'OpenMetrics-only lines are comments in the text format',
    input: '# UNIT x_seconds seconds\n# EOF\nx_seconds 1\n',
    families: [
      {
        name: 'x_seconds',
        type: 'untyped',
        samples: [{ name: 'x_seconds', labels: [], value: 1 }],
      },
    ],
  },
  {
    name: 'unicode and empty label values; a NUL byte',
    input: 'u{a="Ünïcødé ✓ 日本語 🚀",b="",c="x\u0000y"} 1\n',
    families: [
      {
        name: 'u',
        type: 'untyped',
        samples: [
          { name: 'u', labels: ['a', 'Ünïcødé ✓ 日本語 🚀', 'b', '', 'c', 'x\u0000y'], value: 1 },
        ],
      },
    ],
  },
  { name: 'empty input', input: '', families: [] },
];

const OM_VALID: Valid[] = [
  {
    name: 'counter with _total, _created, timestamps and an exemplar',
    input:
      '# TYPE foo counter\n# HELP foo A \\"counter\\" with \\\\ and \\n.\n' +
      'foo_total{a="b"} 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67 1520879607.7\n' +
      'foo_created{a="b"} 1520430000.123\n' +
      'foo_total{a="c"} 1 -1.5 # {} 1\n' +
      '# EOF\n',
    families: [
      {
        name: 'foo',
        type: 'counter',
        help: 'A "counter" with \\ and \n.',
        samples: [
          {
            name: 'foo_total',
            labels: ['a', 'b'],
            value: 17,
            timestampMs: 1520879607789,
            exemplar: {
              labels: ['trace_id', 'KOO5S4vxi0o'],
              value: 0.67,
              timestampMs: 1520879607700,
            },
          },
          { name: 'foo_created', labels: ['a', 'b'], value: 1520430000.123 },
          {
            name: 'foo_total',
            labels: ['a', 'c'],
            value: 1,
            timestampMs: -1500,
            exemplar: { labels: [], value: 1 },
          },
        ],
      },
    ],
  },
  {
    name: 'histogram points at two timestamps; non-canonical le accepted',
    input:
      '# TYPE h_seconds histogram\n# UNIT h_seconds seconds\n' +
      'h_seconds_bucket{le="1"} 0 123\nh_seconds_bucket{le="+Inf"} 1 123\n' +
      'h_seconds_count 1 123\nh_seconds_sum 2 123\n' +
      'h_seconds_bucket{le="1"} 1 456\nh_seconds_bucket{le="+Inf"} 2 456\n' +
      'h_seconds_count 2 456\nh_seconds_sum 3 456\n' +
      '# EOF',
    families: [],
  },
  {
    name: 'families without samples, empty HELP and UNIT, trailing comma, {}',
    input:
      '# TYPE a gauge\n# HELP a \n# UNIT a \n# TYPE b_bytes gauge\n# UNIT b_bytes bytes\n' +
      'b_bytes{x="1",} 1\nb_bytes{} 2\n# EOF\n',
    families: [
      { name: 'a', type: 'gauge', help: '', unit: '', samples: [] },
      {
        name: 'b_bytes',
        type: 'gauge',
        unit: 'bytes',
        samples: [
          { name: 'b_bytes', labels: ['x', '1'], value: 1 },
          { name: 'b_bytes', labels: [], value: 2 },
        ],
      },
    ],
  },
  {
    name: 'info, stateset, unknown without TYPE, gaugehistogram',
    input:
      '# TYPE v info\nv_info{version="1.2"} 1\n# TYPE s stateset\ns{s="a"} 1\ns{s="b"} 0\n' +
      'loose 5\n# TYPE q gaugehistogram\nq_bucket{le="1.0"} 2\nq_bucket{le="+Inf"} 3\nq_gcount 3\nq_gsum 4\n# EOF\n',
    families: [
      {
        name: 'v',
        type: 'info',
        samples: [{ name: 'v_info', labels: ['version', '1.2'], value: 1 }],
      },
      {
        name: 's',
        type: 'stateset',
        samples: [
          { name: 's', labels: ['s', 'a'], value: 1 },
          { name: 's', labels: ['s', 'b'], value: 0 },
        ],
      },
      { name: 'loose', type: 'unknown', samples: [{ name: 'loose', labels: [], value: 5 }] },
      {
        name: 'q',
        type: 'gaugehistogram',
        samples: [
          { name: 'q_bucket', labels: ['le', '1.0'], value: 2 },
          { name: 'q_bucket', labels: ['le', '+Inf'], value: 3 },
          { name: 'q_gcount', labels: [], value: 3 },
          { name: 'q_gsum', labels: [], value: 4 },
        ],
      },
    ],
  },
  { name: 'nothing but EOF, no final newline', input: '# EOF', families: [] },
  {
    name: 'a raw double quote in HELP is tolerated, as in Prometheus',
    input: '# HELP a say "hi"\n# EOF\n',
    families: [{ name: 'a', type: 'unknown', help: 'say "hi"', samples: [] }],
  },
];
// Fill in the expected families of the histogram case programmatically.
OM_VALID[1]!.families = [
  {
    name: 'h_seconds',
    type: 'histogram',
    unit: 'seconds',
    samples: [123, 456].flatMap((t, i) => [
      { name: 'h_seconds_bucket', labels: ['le', '1'], value: i, timestampMs: t * 1000 },
      { name: 'h_seconds_bucket', labels: ['le', '+Inf'], value: i + 1, timestampMs: t * 1000 },
      { name: 'h_seconds_count', labels: [], value: i + 1, timestampMs: t * 1000 },
      { name: 'h_seconds_sum', labels: [], value: i + 2, timestampMs: t * 1000 },
    ]),
  },
];

for (const [format, table] of [
  ['text', TEXT_VALID],
  ['openmetrics', OM_VALID],
] as const) {
  test(`valid ${format} inputs`, () => {
    for (const { name, input, families } of table) {
      assert.deepStrictEqual(parseExposition(input, format), families, name);
      assert.deepStrictEqual(parseExposition(utf8(input), format), families, `${name} (bytes)`);
    }
  });
}

interface Invalid {
  input: string | Uint8Array;
  line: number;
  column: number;
  message: string;
  code?: string;
  options?: ParserOptions;
}

const TEXT_INVALID: Invalid[] = [
  {
    input: 'ok 1\nhttp_requests{code:"200"} 1\n',
    line: 2,
    column: 19,
    message: `expected '=' after label name "code", found ":"`,
  },
  { input: 'a{b=c} 1', line: 1, column: 5, message: `expected '"' to open the value of label "b"` },
  {
    input: 'a{b="c} 1\n',
    line: 1,
    column: 10,
    message: `expected '"' to close the value of label "b"`,
  },
  { input: 'a{b="c\\"} 1\n', line: 1, column: 12, message: 'to close the value' },
  { input: 'a{1b="c"} 1', line: 1, column: 3, message: `expected a label name or '}'` },
  { input: 'a{b="c",,} 1', line: 1, column: 9, message: `expected a label name or '}'` },
  { input: 'a b', line: 1, column: 3, message: 'invalid sample value "b"' },
  { input: 'a', line: 1, column: 2, message: 'expected a sample value, found the end of the line' },
  { input: 'a{b="c"}{', line: 1, column: 9, message: 'expected a sample value, found "{"' },
  { input: 'a 1e400', line: 1, column: 3, message: 'invalid sample value "1e400"' },
  { input: 'a 0x1p-3', line: 1, column: 3, message: 'invalid sample value' },
  { input: 'a 1_000', line: 1, column: 3, message: 'invalid sample value' },
  { input: 'a 1 -5', line: 1, column: 5, message: 'invalid timestamp "-5"' },
  { input: 'a 1 1.5', line: 1, column: 5, message: 'invalid timestamp "1.5"' },
  {
    input: 'a{b="c"} 1 2 3\n',
    line: 1,
    column: 14,
    message: 'expected the end of the line after the timestamp',
  },
  { input: '# TYPE a foo', line: 1, column: 10, message: 'unknown metric type "foo" for "a"' },
  { input: '# TYPE a unknown', line: 1, column: 10, message: 'unknown metric type "unknown"' },
  { input: '# HELP \n', line: 1, column: 8, message: `expected a metric name after '# HELP'` },
  {
    input: '# TYPE a{ gauge',
    line: 1,
    column: 9,
    message: 'expected a space after metric name "a"',
  },
  { input: 'a{b="1",b="2"} 1', line: 1, column: 9, message: 'duplicate label name "b"' },
  { input: 'a{__name__="x"} 1', line: 1, column: 3, message: '"__name__" is reserved' },
  {
    input: 'a 1\n{b="c"} 1\n',
    line: 2,
    column: 1,
    message: `expected a metric name, '#' or an empty line, found "{"`,
  },
  { input: '\uFEFFa 1\n', line: 1, column: 1, message: 'found "\uFEFF"' },
  {
    input: new Uint8Array([0x61, 0x7b, 0x62, 0x3d, 0x22, 0xff, 0x22, 0x7d, 0x20, 0x31]),
    line: 1,
    column: 6,
    message: 'invalid UTF-8 in the value of label "b"',
  },
  {
    input: new Uint8Array([0x23, 0x20, 0xc3, 0x28, 0x0a]),
    line: 1,
    column: 3,
    message: 'invalid UTF-8 in a comment',
  },
  {
    input: new Uint8Array([0x61, 0x20, 0x31, 0x0a, 0xe2, 0x82]),
    line: 2,
    column: 1,
    message: 'found byte 0xe2',
  },
  { input: 'a{b="é"} 1\n# HELP x \\xff \xff', line: 2, column: 1, message: 'x' },
];
// Replace the placeholder of the last case by a HELP text with an invalid byte.
TEXT_INVALID[TEXT_INVALID.length - 1] = {
  input: new Uint8Array([...utf8('a{b="é"} 1\n# HELP x ok '), 0xff]),
  line: 2,
  column: 13,
  message: 'invalid UTF-8 in the HELP text',
};

const OM_INVALID: Invalid[] = [
  { input: 'a 1\n', line: 2, column: 1, message: "missing '# EOF'" },
  { input: 'a 1', line: 2, column: 1, message: "missing '# EOF'" },
  { input: '# EOF\na 1\n', line: 2, column: 1, message: "unexpected content after '# EOF'" },
  { input: '# EOF\n\n', line: 2, column: 1, message: "unexpected content after '# EOF'" },
  { input: '# EOFa 1', line: 1, column: 6, message: "unexpected content after '# EOF'" },
  { input: '# EOF \n', line: 1, column: 6, message: "unexpected content after '# EOF'" },
  { input: 'a  1\n# EOF\n', line: 1, column: 3, message: 'expected a sample value, found " "' },
  {
    input: 'a\t1\n# EOF\n',
    line: 1,
    column: 2,
    message: `expected ' ' and a value after "a", found "\\t"`,
  },
  {
    input: ' a 1\n# EOF\n',
    line: 1,
    column: 1,
    message: `expected a metric name or '#', found " "`,
  },
  { input: 'a 1\n\n# EOF\n', line: 2, column: 1, message: 'empty line' },
  {
    input: 'a 1\r\n# EOF\n',
    line: 1,
    column: 3,
    message: `(OpenMetrics lines end with '\\n' only)`,
  },
  { input: 'a 1 \n# EOF\n', line: 1, column: 5, message: 'expected a timestamp or an exemplar' },
  { input: 'a 1 2 3\n# EOF\n', line: 1, column: 7, message: 'expected a timestamp or an exemplar' },
  { input: 'a 1 NaN\n# EOF\n', line: 1, column: 5, message: 'invalid timestamp "NaN"' },
  { input: 'a 1 -Inf\n# EOF\n', line: 1, column: 5, message: 'invalid timestamp "-Inf"' },
  { input: 'a true\n# EOF\n', line: 1, column: 3, message: 'invalid sample value "true"' },
  {
    input: 'a{b="c"d="e"} 1\n# EOF\n',
    line: 1,
    column: 8,
    message: `expected ',' or '}' after the value of label "b", found "d"`,
  },
  {
    input: 'a{b="c",,d="e"} 1\n# EOF\n',
    line: 1,
    column: 9,
    message: `expected a label name or '}'`,
  },
  { input: 'a{,b="c"} 1\n# EOF\n', line: 1, column: 3, message: `expected a label name or '}'` },
  {
    input: 'a{b = "c"} 1\n# EOF\n',
    line: 1,
    column: 4,
    message: `expected '=' after label name "b", found " "`,
  },
  {
    input: '{b="c"} 1\n# EOF\n',
    line: 1,
    column: 1,
    message: `expected a metric name or '#', found "{"`,
  },
  {
    input: 'a{b="\n# EOF\n',
    line: 1,
    column: 6,
    message: `expected '"' to close the value of label "b"`,
  },
  {
    input: '# TYPE a counter\na 1\n# EOF\n',
    line: 2,
    column: 1,
    message: 'sample "a" of counter family "a" needs a suffix: expected _total or _created',
  },
  {
    input: '# TYPE a histogram\na 1\n# EOF\n',
    line: 2,
    column: 1,
    message: 'needs a suffix: expected _bucket, _count, _sum or _created',
  },
  {
    input: '# TYPE a counter\n# TYPE a counter\n# EOF\n',
    line: 2,
    column: 1,
    message: `duplicate '# TYPE' for "a"`,
  },
  {
    input: '# HELP a x\n# HELP a y\n# EOF\n',
    line: 2,
    column: 1,
    message: `duplicate '# HELP' for "a"`,
  },
  {
    input: '# TYPE a gauge\na 1\n# HELP a x\n# EOF\n',
    line: 3,
    column: 1,
    message: `'# HELP' for "a" after its samples`,
  },
  {
    input: 'a 1\nb 1\na 2\n# EOF\n',
    line: 3,
    column: 1,
    message: 'samples of metric family "a" are not contiguous',
  },
  {
    input: '# TYPE a counter\na_total 1\nb 1\na_total 2\n# EOF\n',
    line: 4,
    column: 1,
    message: 'sample "a_total" of metric family "a" after other families',
  },
  {
    input: '# TYPE a gauge\n# TYPE b gauge\n# TYPE a gauge\n# EOF\n',
    line: 3,
    column: 1,
    message: 'metric family "a" appears twice',
  },
  {
    input: '# TYPE a untyped\n# EOF\n',
    line: 1,
    column: 10,
    message: 'unknown metric type "untyped"',
  },
  {
    input: '# TYPE a  gauge\n# EOF\n',
    line: 1,
    column: 10,
    message: 'unknown metric type " gauge"',
  },
  {
    input: '# UNIT a seconds\n# EOF\n',
    line: 1,
    column: 10,
    message: 'unit "seconds" must be the suffix of the metric name "a"',
  },
  {
    input: '# UNIT a_xseconds seconds\n# EOF\n',
    line: 1,
    column: 19,
    message: 'must be the suffix',
  },
  {
    input: '# UNIT a_b b-c\n# EOF\n',
    line: 1,
    column: 13,
    message: 'invalid character "-" in the unit',
  },
  {
    input: '# TYPE a_seconds info\n# UNIT a_seconds seconds\n# EOF\n',
    line: 2,
    column: 18,
    message: 'a info family cannot have a unit',
  },
  {
    input: '# UNIT a_seconds seconds\n# TYPE a_seconds stateset\n# EOF\n',
    line: 2,
    column: 18,
    message: 'a stateset family cannot have a unit',
  },
  {
    input: '# A comment\n# EOF\n',
    line: 1,
    column: 3,
    message: 'expected TYPE, HELP, UNIT or EOF',
  },
  { input: '#TYPE a gauge\n# EOF\n', line: 1, column: 2, message: `expected ' ' after '#'` },
  {
    input: '#\n# EOF\n',
    line: 1,
    column: 2,
    message: `expected ' ' after '#', found the end of the line`,
  },
  {
    input: '# HELP a\n# EOF\n',
    line: 1,
    column: 9,
    message: `expected ' ' after metric name "a" in '# HELP'`,
  },
  {
    input: '# TYPE \n# EOF\n',
    line: 1,
    column: 8,
    message: `expected a metric name after '# TYPE '`,
  },
  {
    input: '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="0.5"} 1\n# EOF\n',
    line: 3,
    column: 14,
    message: 'bucket le="0.5" of "h_bucket" does not follow a lower bound',
  },
  {
    input: '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="1.0"} 1\n# EOF\n',
    line: 3,
    column: 14,
    message: 'increasing "le" order',
  },
  {
    input: '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n# EOF\n',
    line: 5,
    column: 1,
    message: 'has no le="+Inf" bucket',
  },
  {
    input: '# TYPE h histogram\nh_bucket{a="1",le="1"} 1\nh_bucket{a="2",le="+Inf"} 1\n# EOF\n',
    line: 3,
    column: 9,
    message: 'the metric point before this bucket has no le="+Inf" bucket',
  },
  {
    input: '# TYPE h histogram\nh_bucket{le="1"} 1\nx 1\n# EOF\n',
    line: 3,
    column: 1,
    message: 'has no le="+Inf" bucket',
  },
  {
    input: '# TYPE h histogram\nh_bucket 1\n# EOF\n',
    line: 2,
    column: 9,
    message: 'bucket "h_bucket" has no "le" label',
  },
  {
    input: '# TYPE h histogram\nh_count{le="1"} 1\n# EOF\n',
    line: 2,
    column: 8,
    message: '"le" label on "h_count"',
  },
  {
    input: '# TYPE h histogram\nh_bucket{le="x"} 1\n# EOF\n',
    line: 2,
    column: 14,
    message: 'invalid le="x" on "h_bucket"',
  },
  {
    input: '# TYPE h gaugehistogram\nh_bucket{le="NaN"} 1\n# EOF\n',
    line: 2,
    column: 14,
    message: 'invalid le="NaN"',
  },
  {
    input: '# TYPE s summary\ns 1\n# EOF\n',
    line: 2,
    column: 2,
    message: 'summary sample "s" has no "quantile" label',
  },
  {
    input: '# TYPE s summary\ns{quantile="1.5"} 1\n# EOF\n',
    line: 2,
    column: 13,
    message: 'invalid quantile="1.5"',
  },
  {
    input: '# TYPE s summary\ns_sum{quantile="0.5"} 1\n# EOF\n',
    line: 2,
    column: 6,
    message: '"quantile" label on "s_sum"',
  },
  {
    input: '# TYPE g gauge\ng 1 # {a="b"} 1\n# EOF\n',
    line: 2,
    column: 5,
    message: 'exemplar on a gauge sample of "g"',
  },
  {
    input: '# TYPE h histogram\nh_count 1 # {a="b"} 1\n# EOF\n',
    line: 2,
    column: 11,
    message: 'exemplar on a histogram sample',
  },
  {
    input: `# TYPE c counter\nc_total 1 # {trace_id="${'x'.repeat(121)}"} 1\n# EOF\n`,
    line: 2,
    column: 13,
    message: 'exemplar labels are 129 characters long',
  },
  {
    input: '# TYPE c counter\nc_total 1 # {a="b"}\n# EOF\n',
    line: 2,
    column: 20,
    message: `expected ' ' and a value after the exemplar labels`,
  },
  {
    input: '# TYPE c counter\nc_total 1 #{a="b"} 1\n# EOF\n',
    line: 2,
    column: 11,
    message: 'expected a timestamp or an exemplar',
  },
  {
    input: '# TYPE c counter\nc_total 1 # {a="b"} 1 NaN\n# EOF\n',
    line: 2,
    column: 23,
    message: 'invalid exemplar timestamp "NaN"',
  },
  {
    input: '# TYPE c counter\nc_total 1 # {a="b"} x\n# EOF\n',
    line: 2,
    column: 21,
    message: 'invalid exemplar value "x"',
  },
  {
    input: '# TYPE c counter\nc_total 1 # {a="b"} 1 2 3\n# EOF\n',
    line: 2,
    column: 24,
    message: 'after the exemplar timestamp',
  },
  {
    input: '# TYPE c counter\nc_total 1 # {a=b} 1\n# EOF\n',
    line: 2,
    column: 16,
    message: `expected '"' to open the value of label "a"`,
  },
];

const LIMITS_INVALID: [ExpositionFormat, Invalid][] = [
  [
    'text',
    {
      input: 'abcdefghijk 1\n',
      options: { maxLineBytes: 10 },
      code: 'EXPOSITION_LIMIT',
      line: 1,
      column: 11,
      message: 'line longer than 10 bytes',
    },
  ],
  [
    'text',
    {
      input: 'a 1\nabcdefghijk 1',
      options: { maxLineBytes: 10 },
      code: 'EXPOSITION_LIMIT',
      line: 2,
      column: 11,
      message: 'line longer than 10 bytes',
    },
  ],
  [
    'text',
    {
      input: 'a{a="1",b="2",c="3"} 1',
      options: { maxLabelsPerSample: 2 },
      code: 'EXPOSITION_LIMIT',
      line: 1,
      column: 15,
      message: 'more than 2 labels on "a"',
    },
  ],
  [
    'text',
    {
      input: 'a{abcdef="1"} 1',
      options: { maxLabelNameLength: 5 },
      code: 'EXPOSITION_LIMIT',
      line: 1,
      column: 3,
      message: 'label name longer than 5 characters',
    },
  ],
  [
    'text',
    {
      input: 'a{b="123456"} 1',
      options: { maxLabelValueBytes: 5 },
      code: 'EXPOSITION_LIMIT',
      line: 1,
      column: 6,
      message: 'value of label "b" longer than 5 bytes',
    },
  ],
  [
    'openmetrics',
    {
      input: 'a 1\na 2\na 3\n# EOF\n',
      options: { maxSamples: 2 },
      code: 'EXPOSITION_LIMIT',
      line: 3,
      column: 1,
      message: 'more than 2 samples',
    },
  ],
  [
    'text',
    {
      input: 'a 1\nb 1\nc 1\n',
      options: { maxFamilies: 2 },
      code: 'EXPOSITION_LIMIT',
      line: 3,
      column: 1,
      message: 'more than 2 metric families',
    },
  ],
];

function checkInvalid(format: ExpositionFormat, c: Invalid): void {
  const input = c.input;
  const label = `${format}: ${JSON.stringify(typeof input === 'string' ? input : [...input])}`;
  const got = outcome(() => parseExposition(input, format, c.options));
  assert.equal(got.ok, false, `${label} should fail`);
  if (got.ok) return;
  assert.equal(got.code, c.code ?? 'EXPOSITION_PARSE', `${label}: ${got.message}`);
  assert.equal(got.line, c.line, `${label}: ${got.message}`);
  assert.equal(got.column, c.column, `${label}: ${got.message}`);
  assert.ok(
    got.message.startsWith(`line ${c.line}, column ${c.column}: `),
    `${label}: ${got.message}`,
  );
  assert.ok(got.message.includes(c.message), `${label}: ${got.message}`);
}

test('invalid text inputs: code, line, column, message', () => {
  for (const c of TEXT_INVALID) checkInvalid('text', c);
});

test('invalid OpenMetrics inputs: code, line, column, message', () => {
  for (const c of OM_INVALID) checkInvalid('openmetrics', c);
});

test('limits raise EXPOSITION_LIMIT', () => {
  for (const [format, c] of LIMITS_INVALID) checkInvalid(format, c);
});

test('error details; a failed parser keeps failing with the same error', () => {
  const parser = new ExpositionParser('openmetrics', { sample() {} });
  let caught: unknown;
  assert.throws(
    () => parser.push('a 1\nb{x=1} 2\n'),
    (err: unknown) => {
      caught = err;
      return (
        err instanceof VigilError &&
        err.code === 'EXPOSITION_PARSE' &&
        err.details?.line === 2 &&
        err.details.column === 5 &&
        err.details.format === 'openmetrics' &&
        err.details.problem === `expected '"' to open the value of label "x", found "1"`
      );
    },
  );
  assert.throws(
    () => parser.push('c 1\n'),
    (err: unknown) => err === caught,
  );
  assert.throws(
    () => parser.end(),
    (err: unknown) => err === caught,
  );

  const done = new ExpositionParser('text', { sample() {} });
  done.end();
  assert.throws(() => done.push('a 1\n'), /already ended/);
});

test('errors thrown by the sink propagate unchanged', () => {
  const boom = new Error('sink failed');
  const sink: ExpositionSink = {
    sample() {
      throw boom;
    },
  };
  const parser = new ExpositionParser('text', sink);
  assert.throws(
    () => parser.push('a 1\n'),
    (err: unknown) => err === boom,
  );
  assert.throws(
    () => parser.push('b 1\n'),
    (err: unknown) => err === boom,
  );
});

test('previous-sample fast paths agree with line-by-line parsing on random similar lines', () => {
  // Lines made of a few names, label names and values, so that consecutive
  // lines often share everything but their last value, or their labels after
  // a sibling name (x_sum after x_bucket), and sometimes differ in escapes,
  // non-ASCII bytes, blanks, commas or errors. Parsed whole, every line may
  // reuse the previous one; pushed line by line, none does (each push starts
  // afresh): the outcomes, errors included, must be identical.
  const random = prng(424242);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const names = ['h_bucket', 'h_sum', 'h_count', 'h', 'h_total', 'hx_bucket', 's', 's_sum'];
  const labelNames = ['a', 'b', 'le', 'quantile', 'route'];
  const values = ['1', '0.5', '+Inf', '', 'x', '/api/v1/r', '/api/v1/q', 'é', 'a\\"b', '0.25'];
  const separators = [',', ',', ',', ', ', ' ,', ''];
  for (const format of ['text', 'openmetrics'] as const) {
    for (let doc = 0; doc < 300; doc++) {
      const lines: string[] = [];
      if (format === 'openmetrics')
        lines.push(pick(['# TYPE h histogram', '# TYPE h counter', '# TYPE h unknown']));
      let labels: [string, string][] = [];
      for (let n = 0; n < 12; n++) {
        const r = random();
        if (r < 0.35 && labels.length > 0) labels[labels.length - 1]![1] = pick(values);
        else if (r < 0.45 && labels.length > 0) labels.pop();
        else if (r < 0.6) labels.push([pick(labelNames), pick(values)]);
        else if (r < 0.65) labels = [];
        const sep = format === 'text' ? pick(separators) : random() < 0.95 ? ',' : pick(separators);
        const body = labels.map(([k, v]) => `${k}="${v}"`).join(sep);
        const close = random() < 0.9 ? '}' : pick([',}', ' }', '"}', '']);
        const series = labels.length === 0 && random() < 0.5 ? '' : `{${body}${close}`;
        const value = pick(['1', '2.5', '17', 'NaN', '1e3', '-0', 'x']);
        lines.push(`${pick(names)}${series} ${value}`);
      }
      if (format === 'openmetrics') lines.push('# EOF');
      const input = lines.join('\n') + '\n';
      const bytes = utf8(input);
      const perLine: Uint8Array[] = [];
      let from = 0;
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 10) {
          perLine.push(bytes.subarray(from, i + 1));
          from = i + 1;
        }
      }
      assert.deepStrictEqual(
        outcome(() => parseChunks(format, [bytes])),
        outcome(() => parseChunks(format, perLine)),
        `${format}:\n${input}`,
      );
    }
  }
});
