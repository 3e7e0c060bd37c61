import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STALE_NAN, isStaleNaN } from '@vigil/model';
import { MemoryStorage } from '@vigil/storage';
import { Registry } from '@vigil/sdk';
import { createServerApp } from './app.js';
import { encodeWriteRequest } from '../remote-write/protobuf.js';
import type { SeriesToEncode } from '../remote-write/protobuf.js';
import { snappyCompress } from '../remote-write/snappy.js';
import type { ServerAppOptions } from './app.js';

const HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
};

async function start(options: Partial<ServerAppOptions> = {}) {
  const storage = new MemoryStorage();
  const registry = new Registry();
  const app = createServerApp({ appendable: storage, registry, ...options });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, storage, registry, url: address };
}

function body(series: SeriesToEncode[]): Uint8Array {
  return snappyCompress(encodeWriteRequest(series));
}

function post(url: string, payload: Uint8Array, headers: Record<string, string> = HEADERS) {
  return fetch(`${url}/api/v1/write`, { method: 'POST', headers, body: payload });
}

function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

test('POST /api/v1/write stores the samples and answers 204; counters move', async (t) => {
  const { app, storage, url } = await start();
  t.after(() => app.close());
  const res = await post(
    url,
    body([
      {
        labels: ['__name__', 'up', 'job', 'a'],
        timestamps: [1000, 2000],
        values: Float64Array.of(1, STALE_NAN),
      },
      { labels: ['__name__', 'x'], timestamps: [1000], values: Float64Array.of(3) },
    ]),
  );
  assert.equal(res.status, 204);
  assert.equal(await res.text(), '');
  assert.equal(storage.seriesCount, 2);
  const q = storage.querier(0, 10_000);
  const set = q.select([]);
  assert.ok(set.next());
  const it = set.at().iterator();
  assert.ok(it.next() && it.value() === 1);
  assert.ok(it.next() && isStaleNaN(it.value()));
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.equal(metricValue(metrics, 'vigil_remote_write_requests_total'), 1);
  assert.equal(metricValue(metrics, 'vigil_remote_write_samples_total'), 3);
  assert.equal(metricValue(metrics, 'vigil_remote_write_series_total'), 2);
});

test('malformed bodies and refused samples answer 400 with a plain-text reason, counted', async (t) => {
  const { app, storage, url } = await start();
  t.after(() => app.close());
  const cases: Array<[Uint8Array, RegExp]> = [
    [Uint8Array.of(5, 0, 1, 1, 0), /Invalid snappy block: a copy refers to offset 0/],
    [
      snappyCompress(Uint8Array.of(0x0a, 0x05, 1)),
      /Invalid remote-write protobuf at byte 1: a length runs past the end/,
    ],
    [
      body([
        {
          labels: ['__name__', 'a', 'bad-label', 'x'],
          timestamps: [1],
          values: Float64Array.of(1),
        },
      ]),
      /label name "bad-label" is not valid/,
    ],
    [
      body([
        { labels: ['__name__', 'ok'], timestamps: [1], values: Float64Array.of(1) },
        { labels: ['__name__', 'a'], timestamps: [5, 4], values: Float64Array.of(1, 1) },
      ]),
      /Sample at 4 .* was refused: .*older.*Nothing of the request was written/,
    ],
  ];
  for (const [payload, why] of cases) {
    const res = await post(url, payload);
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await res.text(), why);
  }
  assert.equal(storage.seriesCount, 0, 'nothing partially applied');
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.equal(
    metricValue(
      metrics,
      'vigil_remote_write_requests_rejected_total{reason="remote_write_invalid"}',
    ),
    2,
  );
  assert.equal(
    metricValue(
      metrics,
      'vigil_remote_write_requests_rejected_total{reason="series_labels_invalid"}',
    ),
    1,
  );
  assert.equal(
    metricValue(
      metrics,
      'vigil_remote_write_requests_rejected_total{reason="sample_out_of_order"}',
    ),
    1,
  );
});

test('bodies over the limits answer 413: by Content-Length, while streaming, after decompression', async (t) => {
  const { app, storage, url } = await start({
    limits: { remoteWriteMaxBodyBytes: 1000, remoteWriteMaxDecodedBytes: 5000 },
  });
  t.after(() => app.close());
  const big = new Uint8Array(5000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
  let res = await post(url, big);
  assert.equal(res.status, 413);
  assert.match(await res.text(), /larger than the limit of 1000 bytes/);
  // Chunked, no Content-Length: refused while reading.
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 10; i++) controller.enqueue(big.subarray(0, 500));
      controller.close();
    },
  });
  res = await fetch(`${url}/api/v1/write`, {
    method: 'POST',
    headers: HEADERS,
    body: stream,
    duplex: 'half',
  });
  assert.equal(res.status, 413);
  assert.match(await res.text(), /larger than the limit of 1000 bytes/);
  // Small compressed, too big decompressed.
  const series = [
    {
      labels: ['__name__', 'a'],
      timestamps: new Array<number>(1000).fill(1),
      values: new Float64Array(1000),
    },
  ];
  const packed = body(series);
  assert.ok(packed.length < 1000);
  res = await post(url, packed);
  assert.equal(res.status, 413);
  assert.match(await res.text(), /more than the limit of 5000/);
  assert.equal(storage.seriesCount, 0);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.equal(
    metricValue(
      metrics,
      'vigil_remote_write_requests_rejected_total{reason="remote_write_body_limit"}',
    ),
    3,
  );
});

test('other content types and encodings answer 415', async (t) => {
  const { app, url } = await start();
  t.after(() => app.close());
  const payload = body([
    { labels: ['__name__', 'a'], timestamps: [1], values: Float64Array.of(1) },
  ]);
  const cases: Array<[Record<string, string>, RegExp]> = [
    [
      { 'content-type': 'application/json', 'content-encoding': 'snappy' },
      /Content-Type "application\/json" is not supported/,
    ],
    [{ 'content-encoding': 'snappy' }, /Content-Type is missing/],
    [{ 'content-type': 'application/x-protobuf' }, /Content-Encoding is missing/],
    [
      { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      /Content-Encoding "gzip" is not supported/,
    ],
    [
      {
        'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
        'content-encoding': 'snappy',
      },
      /remote write 1.0/,
    ],
  ];
  for (const [headers, why] of cases) {
    const res = await post(url, payload, headers);
    assert.equal(res.status, 415, JSON.stringify(headers));
    assert.match(await res.text(), why);
  }
  const ok = await post(url, payload, {
    'content-type': 'application/x-protobuf; proto=prometheus.WriteRequest',
    'content-encoding': 'SNAPPY',
  });
  assert.equal(ok.status, 204);
});

test('other methods on the write path answer 405 with Allow: POST', async (t) => {
  const { app, url, storage } = await start();
  t.after(() => app.close());
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const res = await fetch(`${url}/api/v1/write`, { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get('allow'), 'POST');
    assert.match(await res.text(), /POST requests only/);
  }
  assert.equal(storage.seriesCount, 0);
});

test('/metrics negotiates the exposition format; health endpoints; receiver can be off', async (t) => {
  let ready = false;
  const { app, url } = await start({ isReady: () => ready, remoteWrite: false });
  t.after(() => app.close());
  const text = await fetch(`${url}/metrics`);
  assert.match(text.headers.get('content-type') ?? '', /^text\/plain; version=0.0.4/);
  const om = await fetch(`${url}/metrics`, {
    headers: { accept: 'application/openmetrics-text; version=1.0.0' },
  });
  assert.match(om.headers.get('content-type') ?? '', /^application\/openmetrics-text/);
  assert.match(await om.text(), /# EOF\n$/);
  const healthy = await fetch(`${url}/-/healthy`);
  assert.equal(healthy.status, 200);
  assert.equal((await fetch(`${url}/-/ready`)).status, 503);
  ready = true;
  assert.equal((await fetch(`${url}/-/ready`)).status, 200);
  const res = await post(url, body([]));
  assert.equal(res.status, 404);
});
