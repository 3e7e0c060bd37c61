/**
 * Helpers shared by the scrape tests: loopback targets and reading a
 * MemoryStorage back.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isStaleNaN } from '@vigil/model';
import { close, listen } from '@vigil/testing';
import type { MemoryStorage } from '@vigil/storage';

export interface StoredSample {
  readonly t: number;
  readonly v: number;
  readonly stale: boolean;
}

export interface StoredSeries {
  readonly labels: Record<string, string>;
  readonly samples: StoredSample[];
}

/** `name{a="1",b="2"}` for sorted labels (without __name__ in braces). */
export function seriesId(labels: readonly string[]): string {
  let name = '';
  const parts: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === '__name__') name = labels[i + 1]!;
    else parts.push(`${labels[i]}="${labels[i + 1]}"`);
  }
  return `${name}{${parts.join(',')}}`;
}

/** Every series and sample of the storage, by {@link seriesId}. */
export function dump(storage: MemoryStorage): Map<string, StoredSeries> {
  const out = new Map<string, StoredSeries>();
  const q = storage.querier(0, Number.MAX_SAFE_INTEGER);
  const set = q.select([]);
  while (set.next()) {
    const s = set.at();
    const labels: Record<string, string> = {};
    for (let i = 0; i < s.labels.length; i += 2) labels[s.labels[i]!] = s.labels[i + 1]!;
    const samples: StoredSample[] = [];
    const it = s.iterator();
    while (it.next()) {
      const v = it.value();
      samples.push({ t: it.timestampMs(), v, stale: isStaleNaN(v) });
    }
    out.set(seriesId(s.labels), { labels, samples });
  }
  q.close();
  return out;
}

/** Series whose id starts with `prefix`. */
export function seriesNamed(all: Map<string, StoredSeries>, name: string): StoredSeries[] {
  return [...all.entries()].filter(([id]) => id.startsWith(name + '{')).map(([, s]) => s);
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback HTTP target whose handler can be swapped; records request headers. */
export class TestTarget {
  handler: Handler;
  readonly requests: IncomingMessage['headers'][] = [];
  private readonly server: Server;
  port = 0;

  constructor(handler: Handler) {
    this.handler = handler;
    this.server = createServer((req, res) => {
      this.requests.push(req.headers);
      this.handler(req, res);
    });
  }

  async start(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return close(this.server);
  }
}

/** A handler serving `body` with `contentType`. */
export function serve(
  body: string | (() => string),
  contentType = 'text/plain; version=0.0.4',
): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': contentType });
    res.end(typeof body === 'function' ? body() : body);
  };
}
