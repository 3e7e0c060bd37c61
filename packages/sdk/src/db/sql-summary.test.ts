import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_SQL_SCAN_CHARS,
  OTHER_OPERATION,
  SQL_OPERATIONS,
  sqlOperation,
  summarizeSql,
} from './index.js';
import { SQL_CASES } from './testdata/sql-cases.js';

test('operation and collection of the SQL table', () => {
  for (const [sql, operation, collection] of SQL_CASES) {
    assert.deepEqual(
      { ...summarizeSql(sql) },
      { operation, collection },
      `summarizeSql(${JSON.stringify(sql)})`,
    );
    // A second call answers from the cache, with the same result.
    assert.equal(sqlOperation(sql), operation);
  }
});

test('every operation is upper case and comes from the bounded set', () => {
  const allowed = new Set([...SQL_OPERATIONS, OTHER_OPERATION]);
  for (const [sql] of SQL_CASES) assert.ok(allowed.has(sqlOperation(sql)), sql);
  assert.ok(!SQL_OPERATIONS.includes(OTHER_OPERATION));
  for (const op of SQL_OPERATIONS) assert.equal(op, op.toUpperCase());
});

test('values that are not strings give OTHER', () => {
  for (const value of [undefined, null, 42, {}, { text: 'SELECT 1' }, ['SELECT 1'], Symbol('x')]) {
    assert.deepEqual(
      { ...summarizeSql(value) },
      { operation: OTHER_OPERATION, collection: undefined },
    );
  }
});

test('huge texts: the verb and, for a bulk insert, the table; only a prefix is read', () => {
  const rows = Array.from({ length: 200_000 }, (_, i) => `(${i}, 'name ${i}')`).join(', ');
  const bulk = `INSERT INTO people (id, name) VALUES ${rows}`;
  assert.ok(bulk.length > 1_000_000);
  assert.deepEqual({ ...summarizeSql(bulk) }, { operation: 'INSERT', collection: 'people' });

  // The table finder gives up where the scan ends instead of reading megabytes.
  const longSelect = `SELECT ${'a, '.repeat(MAX_SQL_SCAN_CHARS)} 1 FROM t`;
  assert.deepEqual({ ...summarizeSql(longSelect) }, { operation: 'SELECT', collection: undefined });
  const longWith = `WITH x AS (SELECT ${'1, '.repeat(MAX_SQL_SCAN_CHARS)} 1) DELETE FROM t`;
  assert.equal(sqlOperation(longWith), 'WITH');

  // A megabyte of comment, whitespace or parentheses before anything.
  assert.equal(sqlOperation(`/* ${'x'.repeat(1_000_000)} */ SELECT 1`), OTHER_OPERATION);
  assert.equal(sqlOperation(`${' '.repeat(1_000_000)}SELECT 1`), OTHER_OPERATION);
  assert.equal(sqlOperation(`${'('.repeat(100_000)}SELECT 1`), OTHER_OPERATION);
  assert.equal(sqlOperation(`${'('.repeat(1000)}SELECT 1${')'.repeat(1000)}`), 'SELECT');
  // A single enormous word is not a verb.
  assert.equal(sqlOperation('S'.repeat(1_000_000)), OTHER_OPERATION);
});

test('garbage never throws', () => {
  const samples = [
    "'",
    '"',
    '`',
    '$',
    '$a',
    '$a$',
    '/*',
    '--',
    'E',
    "E'",
    "E'\\",
    '\u0000',
    '\uD800',
  ];
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = [
    'SELECT',
    'FROM',
    'WITH',
    '(',
    ')',
    ',',
    ';',
    '.',
    ' ',
    "'",
    '"',
    '$$',
    '$1',
    '/*',
    '*/',
    '--',
    '\n',
    'E',
    't',
    'JOIN',
  ];
  for (let i = 0; i < 2000; i++) {
    let sql = '';
    for (let j = random(30); j > 0; j--) sql += alphabet[random(alphabet.length)];
    samples.push(sql);
  }
  for (const sql of samples) {
    const summary = summarizeSql(sql);
    assert.equal(typeof summary.operation, 'string');
    assert.ok(summary.collection === undefined || typeof summary.collection === 'string');
  }
});
