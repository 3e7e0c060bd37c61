/**
 * Request ids: taken from the caller when sane, generated otherwise.
 */
import { randomUUID } from 'node:crypto';

/** The header a request id is read from and echoed on. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Longest request id accepted from a caller, in characters. */
export const MAX_REQUEST_ID_LENGTH = 128;

/**
 * Whether a caller-supplied request id may be reused: 1 to
 * {@link MAX_REQUEST_ID_LENGTH} characters from `A-Z a-z 0-9 - _ . : / + =`
 * (what UUIDs, ULIDs, base64 and the ids of common proxies use). Anything
 * else (control characters, spaces, quotes, very long values) could forge
 * log lines or bloat them, so it is replaced by a fresh id.
 */
export function isSaneRequestId(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > MAX_REQUEST_ID_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x3a) || // 0-9 :
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x61 && c <= 0x7a) || // a-z
      c === 0x2d || // -
      c === 0x5f || // _
      c === 0x2e || // .
      c === 0x2f || // /
      c === 0x2b || // +
      c === 0x3d; //   =
    if (!ok) return false;
  }
  return true;
}

/**
 * The request id for a request: the header value when it is a single sane
 * value ({@link isSaneRequestId}), else a new random UUID.
 */
export function resolveRequestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && isSaneRequestId(header) ? header : randomUUID();
}
