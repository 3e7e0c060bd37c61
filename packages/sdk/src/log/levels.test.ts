import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '@vigil/model';
import { resolveLogLevel } from './index.js';

test('option wins over LOG_LEVEL, which wins over the default', () => {
  assert.equal(resolveLogLevel('warn', { LOG_LEVEL: 'debug' }), 'warn');
  assert.equal(resolveLogLevel(undefined, { LOG_LEVEL: 'debug' }), 'debug');
  assert.equal(resolveLogLevel(undefined, {}), 'info');
});

test('case and spaces are ignored; an empty LOG_LEVEL counts as unset', () => {
  assert.equal(resolveLogLevel(undefined, { LOG_LEVEL: ' TRACE ' }), 'trace');
  assert.equal(resolveLogLevel('Silent', {}), 'silent');
  assert.equal(resolveLogLevel(undefined, { LOG_LEVEL: '' }), 'info');
});

test('an invalid level is CONFIG_INVALID naming its source and the valid levels', () => {
  assert.throws(
    () => resolveLogLevel(undefined, { LOG_LEVEL: 'verbose' }),
    (err: unknown) =>
      isVigilError(err, 'CONFIG_INVALID') &&
      err.message.includes('"verbose"') &&
      err.message.includes('LOG_LEVEL') &&
      err.message.includes('fatal, error, warn, info, debug, trace, silent'),
  );
  assert.throws(
    () => resolveLogLevel('loud', {}),
    (err: unknown) => isVigilError(err, 'CONFIG_INVALID') && err.message.includes('"level" option'),
  );
  assert.throws(
    () => resolveLogLevel(3 as never, {}),
    (err: unknown) => isVigilError(err),
  );
});
