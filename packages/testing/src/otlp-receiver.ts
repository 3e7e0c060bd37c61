// A real OTLP/HTTP trace receiver for tests on 127.0.0.1. It accepts
// POST /v1/traces with JSON (decoded into flat span records) or protobuf
// (counted, not decoded: the OTLP/HTTP JSON exporter is what Vigil uses).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A received span, flattened. Ids are lowercase hex as OTLP/JSON writes them. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** 0 unset, 1 OK, 2 ERROR. */
  readonly statusCode: number;
  readonly statusMessage: string | undefined;
  readonly attributes: Record<string, unknown>;
  readonly events: { name: string; attributes: Record<string, unknown> }[];
  readonly resource: Record<string, unknown>;
  readonly scope: string;
}

interface OtlpKeyValue {
  key: string;
  value?: Record<string, unknown>;
}

function anyValue(v: Record<string, unknown> | undefined): unknown {
  if (v === undefined) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  return v;
}

function attributes(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        status?: { code?: number; message?: string };
        attributes?: OtlpKeyValue[];
        events?: { name: string; attributes?: OtlpKeyValue[] }[];
      }[];
    }[];
  }[];
}

function flatten(body: OtlpJson): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId.toLowerCase(),
          spanId: s.spanId.toLowerCase(),
          parentSpanId: (s.parentSpanId ?? '').toLowerCase(),
          name: s.name,
          statusCode: s.status?.code ?? 0,
          statusMessage: s.status?.message,
          attributes: attributes(s.attributes),
          events: (s.events ?? []).map((e) => ({
            name: e.name,
            attributes: attributes(e.attributes),
          })),
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

/** An in-test OTLP/HTTP receiver. */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  jsonRequests = 0;
  protobufRequests = 0;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts a receiver on an ephemeral port of 127.0.0.1. */
  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new OtlpReceiver(server, `http://127.0.0.1:${port}/v1/traces`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => receiver.handle(req, res));
    return receiver;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const type = req.headers['content-type'] ?? '';
      const body = Buffer.concat(chunks);
      if (type.startsWith('application/json')) {
        try {
          this.spans.push(...flatten(JSON.parse(body.toString('utf8')) as OtlpJson));
          this.jsonRequests++;
        } catch {
          res.writeHead(400).end();
          return;
        }
      } else if (type.startsWith('application/x-protobuf')) {
        this.protobufRequests++;
      } else {
        res.writeHead(415).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
  }

  /** Resolves once at least `n` spans have arrived; rejects after `timeoutMs`. */
  async waitForSpans(n: number, timeoutMs = 5000): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.spans.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${n} spans, received ${this.spans.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.spans;
  }

  /** The span named `name`; throws when there is none. */
  span(name: string): ReceivedSpan {
    const s = this.spans.find((x) => x.name === name);
    if (s === undefined) {
      throw new Error(`no span ${name}; got ${this.spans.map((x) => x.name).join(', ')}`);
    }
    return s;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
