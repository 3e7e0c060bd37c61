import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isVigilError } from '@vigil/model';
import { MAX_FAULT_DELAY_MS, validateFaultSpec } from './spec.js';

let counter = 0;
const nextId = (): string => `gen-${++counter}`;

/** Asserts that `spec` is refused with FAULT_SPEC_INVALID, naming `field`, with a message matching `message`. */
function refused(spec: unknown, field: string | undefined, message: RegExp): void {
  assert.throws(
    () => validateFaultSpec(spec, nextId),
    (err: unknown) => {
      assert.ok(isVigilError(err, 'FAULT_SPEC_INVALID'), String(err));
      assert.match(err.message, message);
      if (field !== undefined) assert.equal(err.details?.field, field);
      return true;
    },
    JSON.stringify(spec),
  );
}

describe('validateFaultSpec: accepted specs', () => {
  test('latency with a fixed delay, scope normalised, defaults not added', () => {
    const { spec, matcher } = validateFaultSpec(
      { kind: 'latency', delayMs: 250, method: 'get', route: '/api/users/:id', id: 'slow-users' },
      nextId,
    );
    assert.deepEqual(spec, {
      kind: 'latency',
      id: 'slow-users',
      method: 'GET',
      route: '/api/users/:id',
      delayMs: 250,
    });
    assert.ok(Object.isFrozen(spec));
    assert.equal(matcher?.template, '/api/users/:id');
  });

  test('latency distributions', () => {
    for (const distribution of [
      { type: 'uniform', minMs: 10, maxMs: 20 },
      { type: 'uniform', minMs: 5, maxMs: 5 },
      { type: 'normal', meanMs: 100, stddevMs: 30 },
      { type: 'exponential', meanMs: 50 },
    ]) {
      const { spec } = validateFaultSpec({ kind: 'latency', distribution }, nextId);
      assert.deepEqual((spec as any).distribution, distribution);
    }
  });

  test('error and dependency faults; ids generated when absent', () => {
    const error = validateFaultSpec({ kind: 'error', status: 503, rate: 0.5 }, nextId).spec;
    assert.match(error.id, /^gen-\d+$/);
    assert.equal((error as any).status, 503);
    const dep = validateFaultSpec(
      {
        kind: 'dependency',
        dependency: 'database',
        message: 'connection refused',
        durationMs: 5000,
      },
      nextId,
    ).spec;
    assert.deepEqual(Object.keys(dep).sort(), [
      'dependency',
      'durationMs',
      'id',
      'kind',
      'message',
    ]);
  });

  test('bounds are inclusive where documented', () => {
    validateFaultSpec({ kind: 'latency', delayMs: 0 }, nextId);
    validateFaultSpec({ kind: 'latency', delayMs: MAX_FAULT_DELAY_MS }, nextId);
    validateFaultSpec({ kind: 'error', status: 400, rate: 1 }, nextId);
    validateFaultSpec({ kind: 'error', status: 599 }, nextId);
  });
});

describe('validateFaultSpec: refused specs', () => {
  test('not an object, or an unknown kind', () => {
    refused(null, undefined, /must be an object/);
    refused('latency', undefined, /must be an object/);
    refused([{ kind: 'latency' }], undefined, /must be an object.*an array/);
    refused({}, 'kind', /"kind" must be "latency", "error" or "dependency", got nothing/);
    refused({ kind: 'chaos' }, 'kind', /got "chaos"/);
  });

  test('unknown fields are named, with the allowed ones', () => {
    refused(
      { kind: 'latency', delayMs: 10, delay: 5 },
      'delay',
      /Unknown field "delay".*allowed fields: kind, id/,
    );
    refused(
      { kind: 'error', status: 500, delayMs: 5 },
      'delayMs',
      /Unknown field "delayMs" in an error fault/,
    );
    refused(
      { kind: 'dependency', dependency: 'db', route: '/x' },
      'route',
      /Unknown field "route" in a dependency fault/,
    );
    refused(
      { kind: 'latency', distribution: { type: 'uniform', minMs: 1, maxMs: 2, meanMs: 3 } },
      'distribution.meanMs',
      /Unknown field "distribution.meanMs" in a uniform distribution/,
    );
    // JSON.parse makes "__proto__" an own property: refused like any other unknown field.
    refused(
      JSON.parse('{"kind":"error","status":500,"__proto__":{"x":1}}'),
      '__proto__',
      /Unknown field "__proto__"/,
    );
  });

  test('latency: negative, too long, not a number, both or neither of delayMs/distribution', () => {
    refused(
      { kind: 'latency', delayMs: -1 },
      'delayMs',
      /"delayMs" must be a number >= 0 and <= 60000 \(milliseconds\), got -1/,
    );
    refused({ kind: 'latency', delayMs: MAX_FAULT_DELAY_MS + 1 }, 'delayMs', /<= 60000/);
    refused({ kind: 'latency', delayMs: '100' }, 'delayMs', /got "100"/);
    refused({ kind: 'latency', delayMs: Number.NaN }, 'delayMs', /got NaN/);
    refused({ kind: 'latency', delayMs: Infinity }, 'delayMs', /got Infinity/);
    refused({ kind: 'latency' }, 'delayMs', /exactly one of "delayMs".*or\s+"distribution"/);
    refused(
      { kind: 'latency', delayMs: 5, distribution: { type: 'exponential', meanMs: 5 } },
      'distribution',
      /exactly one of/,
    );
    refused({ kind: 'latency', distribution: 'uniform' }, 'distribution', /must be an object/);
    refused(
      { kind: 'latency', distribution: { type: 'pareto' } },
      'distribution.type',
      /got "pareto"/,
    );
    refused(
      { kind: 'latency', distribution: { type: 'uniform', minMs: 20, maxMs: 10 } },
      'distribution.minMs',
      /must not exceed/,
    );
    refused(
      { kind: 'latency', distribution: { type: 'uniform', minMs: -5, maxMs: 10 } },
      'distribution.minMs',
      />= 0/,
    );
    refused(
      { kind: 'latency', distribution: { type: 'normal', meanMs: 100 } },
      'distribution.stddevMs',
      /got nothing/,
    );
    refused(
      { kind: 'latency', distribution: { type: 'exponential', meanMs: 0 } },
      'distribution.meanMs',
      /> 0/,
    );
  });

  test('error: status must be an integer 400..599, rate in (0, 1]', () => {
    refused({ kind: 'error', status: 200 }, 'status', /from 400 to 599.*got 200/);
    refused({ kind: 'error', status: 399 }, 'status', /got 399/);
    refused({ kind: 'error', status: 600 }, 'status', /got 600/);
    refused({ kind: 'error', status: 500.5 }, 'status', /got 500.5/);
    refused({ kind: 'error', status: '500' }, 'status', /got "500"/);
    refused({ kind: 'error' }, 'status', /got nothing/);
    refused(
      { kind: 'error', status: 500, rate: 0 },
      'rate',
      /"rate" must be a number > 0 and <= 1/,
    );
    refused({ kind: 'error', status: 500, rate: 1.5 }, 'rate', /got 1.5/);
    refused({ kind: 'error', status: 500, rate: -0.1 }, 'rate', /got -0.1/);
  });

  test('scope, id, description, durationMs', () => {
    refused({ kind: 'error', status: 500, method: 'GET /x' }, 'method', /HTTP method/);
    refused({ kind: 'error', status: 500, method: 7 }, 'method', /got 7/);
    refused(
      { kind: 'error', status: 500, route: 'api/users' },
      'route',
      /"route" must start with "\/"/,
    );
    refused({ kind: 'error', status: 500, route: 42 }, 'route', /route template string/);
    refused({ kind: 'error', status: 500, id: '' }, 'id', /1 to 64/);
    refused({ kind: 'error', status: 500, id: 'a/b' }, 'id', /got "a\/b"/);
    refused({ kind: 'error', status: 500, id: 'x'.repeat(65) }, 'id', /1 to 64/);
    refused(
      { kind: 'error', status: 500, description: 'x'.repeat(501) },
      'description',
      /at most 500/,
    );
    refused({ kind: 'error', status: 500, durationMs: 0 }, 'durationMs', /> 0/);
    refused({ kind: 'error', status: 500, durationMs: -100 }, 'durationMs', /got -100/);
    refused({ kind: 'error', status: 500, durationMs: 2 ** 31 }, 'durationMs', /<= 2147483647/);
  });

  test('dependency: a name, and an optional short message', () => {
    refused({ kind: 'dependency' }, 'dependency', /name of a registered health check/);
    refused({ kind: 'dependency', dependency: '  ' }, 'dependency', /got " {2}"/);
    refused({ kind: 'dependency', dependency: 'db', message: '' }, 'message', /non-empty/);
    refused(
      { kind: 'dependency', dependency: 'db', message: 'x'.repeat(201) },
      'message',
      /at most 200/,
    );
  });

  test('long hostile strings are cut in messages', () => {
    assert.throws(
      () => validateFaultSpec({ kind: 'x'.repeat(10_000) }, nextId),
      (err: unknown) => isVigilError(err) && err.message.length < 300,
    );
  });
});
