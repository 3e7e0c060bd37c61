/**
 * The HTTP side of a scrape: one GET, streamed, decompressed, bounded.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ErrorCodes, VigilError } from '@vigil/model';
import type { ExpositionFormat } from '@vigil/exposition';
import type { ScrapeConfig } from './config.js';

/**
 * The `Accept` header of a scrape: OpenMetrics 1.0.0 first, then
 * OpenMetrics 0.0.1, then the text format, then anything (which is then
 * read as text), weighted as Prometheus 3 weights its default protocols.
 */
export const SCRAPE_ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

/** The default `User-Agent` of Vigil's scraper. */
export const DEFAULT_SCRAPE_USER_AGENT = 'Vigil/0.1.0 (scraper)';

/**
 * The exposition format of a response from its `Content-Type`: OpenMetrics
 * for `application/openmetrics-text`, otherwise the text format (also for a
 * missing or unknown type, as Prometheus 2 does).
 */
export function formatOfContentType(contentType: string | undefined): ExpositionFormat {
  if (contentType === undefined) return 'text';
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/openmetrics-text' ? 'openmetrics' : 'text';
}

/** Formats ms as Go's `strconv.FormatFloat(seconds, 'f', -1, 64)` does: `10`, `0.25`. */
export function secondsText(ms: number): string {
  return String(ms / 1000);
}

/** HTTP agents and static request parts of one job; built when a config is applied. */
export class JobClient {
  readonly agent: http.Agent;
  private readonly config: ScrapeConfig;
  private readonly staticHeaders: Record<string, string | string[]>;

  /** @throws VigilError `CONFIG_INVALID` when a TLS file cannot be read. */
  constructor(config: ScrapeConfig, userAgent: string) {
    this.config = config;
    const agentOptions = { keepAlive: true, maxSockets: 64, maxFreeSockets: 64 };
    if (config.scheme === 'https' || config.tlsConfig !== undefined) {
      const tls = config.tlsConfig;
      const read = (file: string | undefined): Buffer | undefined => {
        if (file === undefined) return undefined;
        try {
          return readFileSync(file);
        } catch (err) {
          throw new VigilError(
            ErrorCodes.CONFIG_INVALID,
            `job ${JSON.stringify(config.jobName)}: cannot read TLS file ${file}: ${(err as Error).message}`,
            { cause: err },
          );
        }
      };
      const ca = read(tls?.caFile);
      const cert = read(tls?.certFile);
      const key = read(tls?.keyFile);
      this.agent = new https.Agent({
        ...agentOptions,
        ...(ca !== undefined ? { ca } : {}),
        ...(cert !== undefined ? { cert } : {}),
        ...(key !== undefined ? { key } : {}),
        ...(tls?.serverName !== undefined ? { servername: tls.serverName } : {}),
        rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
      });
    } else {
      this.agent = new http.Agent(agentOptions);
    }
    const headers: Record<string, string | string[]> = {};
    for (const name of Object.keys(config.httpHeaders)) {
      const values = config.httpHeaders[name]!;
      headers[name] = values.length === 1 ? values[0]! : [...values];
    }
    headers['accept'] = SCRAPE_ACCEPT_HEADER;
    headers['accept-encoding'] = config.enableCompression ? 'gzip' : 'identity';
    headers['user-agent'] = userAgent;
    this.staticHeaders = headers;
  }

  /** The request headers of one scrape (credential files are read now). */
  async headers(timeoutMs: number): Promise<Record<string, string | string[]>> {
    const headers = { ...this.staticHeaders };
    headers['x-prometheus-scrape-timeout-seconds'] = secondsText(timeoutMs);
    const auth = this.config.authorization;
    if (auth !== undefined) {
      const credentials =
        auth.credentials ??
        (auth.credentialsFile !== undefined
          ? (await readFile(auth.credentialsFile, 'utf8')).trim()
          : '');
      headers['authorization'] = `${auth.type} ${credentials}`;
    }
    const basic = this.config.basicAuth;
    if (basic !== undefined) {
      const password =
        basic.password ??
        (basic.passwordFile !== undefined
          ? (await readFile(basic.passwordFile, 'utf8')).trim()
          : '');
      headers['authorization'] =
        'Basic ' + Buffer.from(`${basic.username}:${password}`, 'utf8').toString('base64');
    }
    return headers;
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** What {@link httpScrape} reports about the response. */
export interface HttpScrapeResult {
  readonly format: ExpositionFormat;
  /** Uncompressed body bytes read. */
  readonly bodyBytes: number;
}

/**
 * GETs `url` and streams the (decompressed) body to `onChunk`, which the
 * format is announced to first via `onFormat`. Fails on a non-200 status,
 * on a body beyond `bodySizeLimitBytes` (0 = none; counted after
 * decompression, as in Prometheus), when `signal` aborts, and with what
 * `onChunk` throws; the connection is then dropped.
 *
 * @throws VigilError `SCRAPE_FAILED`, `SCRAPE_BODY_LIMIT`; the abort
 *   reason when `signal` aborts; what the callbacks throw.
 */
export async function httpScrape(
  url: string,
  client: JobClient,
  headers: Record<string, string | string[]>,
  bodySizeLimitBytes: number,
  signal: AbortSignal,
  onFormat: (format: ExpositionFormat) => void,
  onChunk: (chunk: Buffer) => void,
): Promise<HttpScrapeResult> {
  const mod = url.startsWith('https:') ? https : http;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = mod.request(url, { method: 'GET', headers, agent: client.agent, signal }, resolve);
    req.on('error', (err) => reject(signal.aborted ? (signal.reason as Error) : wrapNetwork(err)));
    req.end();
  });
  try {
    if (res.statusCode !== 200) {
      throw new VigilError(
        ErrorCodes.SCRAPE_FAILED,
        `server returned HTTP status ${res.statusCode} ${res.statusMessage ?? ''}`.trim(),
        { details: { reason: 'http_status', status: res.statusCode } },
      );
    }
    const format = formatOfContentType(res.headers['content-type']);
    onFormat(format);
    const encoding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
    let body: AsyncIterable<Buffer> = res;
    if (encoding === 'gzip' || encoding === 'x-gzip') {
      const gunzip = createGunzip();
      pipeline(res, gunzip, () => {
        // errors surface through the iteration below
      });
      body = gunzip;
    } else if (encoding !== '' && encoding !== 'identity') {
      throw new VigilError(
        ErrorCodes.SCRAPE_FAILED,
        `unsupported Content-Encoding ${JSON.stringify(encoding)}; the scraper accepts gzip or none`,
        { details: { reason: 'http_status' } },
      );
    }
    let bodyBytes = 0;
    try {
      for await (const chunk of body) {
        bodyBytes += chunk.length;
        if (bodySizeLimitBytes > 0 && bodyBytes > bodySizeLimitBytes) {
          throw new VigilError(
            ErrorCodes.SCRAPE_BODY_LIMIT,
            `body size limit exceeded: the response is larger than body_size_limit (${bodySizeLimitBytes} bytes); raise body_size_limit or expose fewer series`,
            { details: { reason: 'body_size_limit', limitBytes: bodySizeLimitBytes } },
          );
        }
        onChunk(chunk);
      }
    } catch (err) {
      if (signal.aborted) throw signal.reason as Error;
      if (err instanceof VigilError || !(err instanceof Error) || !isStreamError(err)) throw err;
      throw new VigilError(
        ErrorCodes.SCRAPE_FAILED,
        `reading the response failed: ${err.message}`,
        { cause: err, details: { reason: encoding === '' ? 'network' : 'decompression' } },
      );
    } finally {
      if (body !== res) (body as unknown as { destroy(): void }).destroy();
    }
    return { format, bodyBytes };
  } finally {
    res.destroy();
  }
}

function isStreamError(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return (
    typeof code === 'string' &&
    (code.startsWith('Z_') || code.startsWith('E') || code === 'ERR_STREAM_PREMATURE_CLOSE')
  );
}

function wrapNetwork(err: Error): VigilError {
  return new VigilError(ErrorCodes.SCRAPE_FAILED, `request failed: ${err.message}`, {
    cause: err,
    details: { reason: 'network' },
  });
}
