// Options and OTEL_* environment variables → tracing configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '@vigil/model';
import {
  DEFAULT_SERVICE_NAME,
  DEFAULT_TRACES_ENDPOINT,
  PROCESS_INSTANCE_ID,
  SAMPLER_NAMES,
  parseResourceAttributes,
  resolveTracingConfig,
} from './index.js';
import type { SamplerName, TracingOptions } from './index.js';

test('defaults with an empty environment', () => {
  const c = resolveTracingConfig({ env: {} });
  assert.equal(c.endpoint, DEFAULT_TRACES_ENDPOINT);
  assert.equal(c.endpoint, 'http://localhost:4318/v1/traces');
  assert.deepEqual(c.sampler, { name: 'parentbased_always_on', ratio: 1 });
  assert.deepEqual(c.resourceAttributes, {
    'service.name': DEFAULT_SERVICE_NAME,
    'service.instance.id': PROCESS_INSTANCE_ID,
  });
  assert.equal(c.exportTimeoutMillis, 10_000);
  assert.deepEqual(c.warnings, []);
});

const ENDPOINTS: [string, Record<string, string>, TracingOptions, string][] = [
  [
    'traces variable used as is',
    { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' },
    {},
    'http://c:4318/custom',
  ],
  [
    'generic variable gets /v1/traces',
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' },
    {},
    'http://c:4318/v1/traces',
  ],
  [
    'generic variable with a trailing slash',
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c/otlp/' },
    {},
    'https://c/otlp/v1/traces',
  ],
  [
    'traces variable beats the generic one',
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/v1/traces',
    },
    {},
    'http://b:4318/v1/traces',
  ],
  [
    'option beats the environment',
    { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/v1/traces' },
    { endpoint: 'http://o:1/t' },
    'http://o:1/t',
  ],
  [
    'empty variable counts as unset',
    { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' },
    {},
    DEFAULT_TRACES_ENDPOINT,
  ],
];

for (const [name, env, options, expected] of ENDPOINTS) {
  test(`endpoint: ${name}`, () => {
    assert.equal(resolveTracingConfig({ ...options, env }).endpoint, expected);
  });
}

const SAMPLERS: [Record<string, string>, TracingOptions, SamplerName, number][] = [
  [{ OTEL_TRACES_SAMPLER: 'always_on' }, {}, 'always_on', 1],
  [{ OTEL_TRACES_SAMPLER: 'always_off' }, {}, 'always_off', 1],
  [
    { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' },
    {},
    'traceidratio',
    0.25,
  ],
  [{ OTEL_TRACES_SAMPLER: 'traceidratio' }, {}, 'traceidratio', 1],
  [{ OTEL_TRACES_SAMPLER: 'parentbased_always_on' }, {}, 'parentbased_always_on', 1],
  [{ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, {}, 'parentbased_always_off', 1],
  [
    { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
    {},
    'parentbased_traceidratio',
    0,
  ],
  [
    { OTEL_TRACES_SAMPLER: ' ParentBased_TraceIdRatio ', OTEL_TRACES_SAMPLER_ARG: '1e-2' },
    {},
    'parentbased_traceidratio',
    0.01,
  ],
  // The argument of a sampler that takes none is ignored, even when invalid.
  [{ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'junk' }, {}, 'always_on', 1],
  // Options win; a ratio alone selects the parent-based ratio sampler.
  [{ OTEL_TRACES_SAMPLER: 'always_off' }, { sampler: 'always_on' }, 'always_on', 1],
  [{}, { sampleRatio: 0.5 }, 'parentbased_traceidratio', 0.5],
  [
    { OTEL_TRACES_SAMPLER_ARG: '0.9' },
    { sampler: 'traceidratio', sampleRatio: 0.1 },
    'traceidratio',
    0.1,
  ],
];

for (const [env, options, name, ratio] of SAMPLERS) {
  test(`sampler: ${JSON.stringify(env)} ${JSON.stringify(options)} → ${name} ${ratio}`, () => {
    assert.deepEqual(resolveTracingConfig({ ...options, env }).sampler, { name, ratio });
  });
}

const INVALID: [string, TracingOptions, RegExp][] = [
  [
    'unknown sampler',
    { env: { OTEL_TRACES_SAMPLER: 'jaeger_remote' } },
    /OTEL_TRACES_SAMPLER.*jaeger_remote.*always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio/,
  ],
  [
    'ratio above 1',
    { env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' } },
    /OTEL_TRACES_SAMPLER_ARG is "1.5".*0 to 1/,
  ],
  [
    'ratio not a number',
    { env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' } },
    /OTEL_TRACES_SAMPLER_ARG is "half"/,
  ],
  [
    'negative ratio',
    { env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '-0.1' } },
    /OTEL_TRACES_SAMPLER_ARG/,
  ],
  [
    'option sampler',
    { env: {}, sampler: 'sometimes' as SamplerName },
    /"sampler".*"sometimes".*parentbased_traceidratio/,
  ],
  ['option ratio', { env: {}, sampleRatio: 2 }, /"sampleRatio" is 2/],
  [
    'endpoint not a URL',
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' } },
    /OTEL_EXPORTER_OTLP_ENDPOINT.*http:\/\//,
  ],
  [
    'endpoint not http',
    { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://c:4317' } },
    /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/,
  ],
  ['option endpoint', { env: {}, endpoint: '/v1/traces' }, /"endpoint"/],
  ['export timeout', { env: {}, exportTimeoutMillis: 0 }, /exportTimeoutMillis/],
];

for (const [name, options, message] of INVALID) {
  test(`invalid: ${name} → CONFIG_INVALID`, () => {
    assert.throws(
      () => resolveTracingConfig(options),
      (err) => isVigilError(err, 'CONFIG_INVALID') && message.test(err.message),
    );
  });
}

test('every sampler name is accepted from the environment', () => {
  for (const name of SAMPLER_NAMES) {
    assert.equal(resolveTracingConfig({ env: { OTEL_TRACES_SAMPLER: name } }).sampler.name, name);
  }
});

test('resource: OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME and options, in that order of precedence', () => {
  const env = {
    OTEL_RESOURCE_ATTRIBUTES:
      'service.name=from-attrs, service.instance.id=pod-7,deployment.environment=staging,note=a%2Cb%3Dc',
    OTEL_SERVICE_NAME: 'from-env',
  };
  assert.deepEqual(resolveTracingConfig({ env }).resourceAttributes, {
    'service.name': 'from-env',
    'service.instance.id': 'pod-7',
    'deployment.environment': 'staging',
    note: 'a,b=c',
  });
  assert.deepEqual(
    resolveTracingConfig({
      env,
      serviceName: 'from-option',
      serviceVersion: '2.0.0',
      serviceInstanceId: 'i-1',
      resourceAttributes: { 'deployment.environment': 'prod', 'host.cpus': 8 },
    }).resourceAttributes,
    {
      'service.name': 'from-option',
      'service.version': '2.0.0',
      'service.instance.id': 'i-1',
      'deployment.environment': 'prod',
      'host.cpus': 8,
      note: 'a,b=c',
    },
  );
  assert.equal(
    resolveTracingConfig({ env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=only-attrs' } })
      .resourceAttributes['service.name'],
    'only-attrs',
  );
});

test('resource: a malformed OTEL_RESOURCE_ATTRIBUTES is discarded whole, with a warning', () => {
  for (const text of ['a=1,novalue', 'a=1,=x', 'a=%E0%A4%A']) {
    const c = resolveTracingConfig({ env: { OTEL_RESOURCE_ATTRIBUTES: text } });
    assert.equal(c.resourceAttributes['a'], undefined, text);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0]!, /OTEL_RESOURCE_ATTRIBUTES is ignored/);
  }
  assert.deepEqual(parseResourceAttributes(' a = 1 ,, b=%20x '), {
    attributes: { a: '1', b: ' x' },
  });
});

test('resource: service attributes must be non-empty strings', () => {
  assert.throws(
    () => resolveTracingConfig({ env: {}, serviceName: '' }),
    (err) => isVigilError(err, 'CONFIG_INVALID') && /service\.name/.test(err.message),
  );
});
