/**
 * Redaction of secret fields in log lines.
 *
 * Paths use pino's syntax (`password`, `*.password`, `req.headers.cookie`,
 * `req.headers["set-cookie"]`, `users[*].token`), but matching is done here
 * rather than by pino's `redact` option, for two reasons measured on pino 10:
 * pino's redaction clones the logged object and stringifies it on every line
 * that a wildcard path could touch (6-10x the cost of the line), and it
 * compares keys case-sensitively, so `Authorization` slips past a path
 * written `authorization`.
 *
 * Here paths compile once into a trie and each line is walked along it:
 * - keys match ASCII case-insensitively;
 * - an array is transparent: `*.password` also censors
 *   `{ users: [{ password }] }` (the first {@link MAX_ARRAY_SCAN} elements);
 * - nothing is copied unless a secret is found; then only the objects on the
 *   path to it are copied (the caller's object is never modified);
 * - objects with a `toJSON` method (Date, Buffer, ...) and typed arrays are
 *   not looked into: their JSON is not their properties.
 */
import { ErrorCodes, VigilError } from '@vigil/model';

/** The value written in place of a redacted field, unless `censor` says otherwise. */
export const DEFAULT_CENSOR = '[Redacted]';

/** Array elements looked at per array; elements beyond are not redacted. */
export const MAX_ARRAY_SCAN = 1000;

const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'token',
  'secret',
  'api_key',
  'apiKey',
] as const;

const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
] as const;

function segment(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`;
}

/**
 * The paths redacted by default: the secret field names at the top level and
 * one level deep (`*.password`), and secret header names in `req.headers`,
 * `res.headers` and `headers` (the last is covered by `*.`). Matching is
 * case-insensitive, so `apiKey` also covers `APIKEY` and `apikey`.
 */
export const DEFAULT_REDACT_PATHS: readonly string[] = Object.freeze([
  ...SECRET_FIELDS.map((f) => segment(f).replace(/^\./, '')),
  ...SECRET_FIELDS.map((f) => `*${segment(f)}`),
  ...SECRET_HEADERS.map((h) => `*${segment(h)}`),
  ...SECRET_HEADERS.map((h) => `req.headers${segment(h)}`),
  ...SECRET_HEADERS.map((h) => `res.headers${segment(h)}`),
]);

/** How secret fields are redacted; see `LoggerOptions.redact`. */
export interface RedactOptions {
  /**
   * Paths to redact, in pino's syntax: dot-separated names, `*` for any one
   * key, `["name"]` for names with dots or dashes. Added to
   * {@link DEFAULT_REDACT_PATHS} unless {@link replaceDefaults} is true.
   */
  readonly paths?: readonly string[];
  /**
   * When true, {@link paths} replace the defaults instead of adding to them
   * (`{ paths: [], replaceDefaults: true }` turns redaction off).
   */
  readonly replaceDefaults?: boolean;
  /** Written in place of a redacted value. Default {@link DEFAULT_CENSOR}. */
  readonly censor?: string;
}

/**
 * A compiled redaction trie node. Literal children are keyed by lowercase
 * name; a literal child already includes whatever the wildcard child would
 * match, so a lookup needs one step.
 */
export interface RedactNode {
  /** Censor the value found at this node. */
  terminal: boolean;
  readonly children: Record<string, RedactNode>;
  wildcard: RedactNode | undefined;
  /**
   * Prefilter over literal children: `filter[len * 32 + (firstChar | 32) % 32]`
   * is 1 when some child name could match a key of that length and first
   * letter (in any case). Most keys are rejected without a hash lookup.
   */
  filter: Uint8Array;
}

function newNode(): RedactNode {
  return {
    terminal: false,
    children: Object.create(null) as Record<string, RedactNode>,
    wildcard: undefined,
    filter: new Uint8Array(0),
  };
}

function invalidPath(path: unknown, why: string): VigilError {
  return new VigilError(
    ErrorCodes.CONFIG_INVALID,
    `Invalid redact path ${JSON.stringify(path)}: ${why}. Expected pino path syntax, ` +
      'for example "password", "*.token", "req.headers.authorization" or \'req.headers["set-cookie"]\'.',
    { details: { path } },
  );
}

/** Splits a path into segments; `undefined` stands for a wildcard. Throws CONFIG_INVALID. */
export function parseRedactPath(path: string): (string | undefined)[] {
  if (typeof path !== 'string' || path.length === 0) throw invalidPath(path, 'it is empty');
  const out: (string | undefined)[] = [];
  let i = 0;
  let expectSegment = true;
  while (i < path.length) {
    const ch = path[i];
    if (ch === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) throw invalidPath(path, `"[" at ${i} is not closed`);
      let inner = path.slice(i + 1, close).trim();
      if (inner === '*') out.push(undefined);
      else {
        const q = inner[0];
        if ((q === '"' || q === "'" || q === '`') && inner.length >= 2 && inner.endsWith(q)) {
          inner = inner.slice(1, -1);
        } else if (!/^\d+$/.test(inner)) {
          throw invalidPath(path, `brackets at ${i} need a quoted name, an index or *`);
        }
        out.push(inner.toLowerCase());
      }
      i = close + 1;
      expectSegment = false;
      if (path[i] === '.') {
        i++;
        expectSegment = true;
        if (i === path.length) throw invalidPath(path, 'it ends with "."');
      }
      continue;
    }
    if (!expectSegment) throw invalidPath(path, `unexpected "${ch}" at ${i}`);
    let end = i;
    while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
    const name = path.slice(i, end);
    if (name.length === 0) throw invalidPath(path, `empty name at ${i}`);
    if (name.includes(']')) throw invalidPath(path, `unexpected "]" at ${i}`);
    out.push(name === '*' ? undefined : name.toLowerCase());
    i = end;
    if (path[i] === '.') {
      i++;
      if (i === path.length) throw invalidPath(path, 'it ends with "."');
    } else {
      expectSegment = false;
    }
  }
  return out;
}

function mergeNodes(a: RedactNode | undefined, b: RedactNode | undefined): RedactNode {
  const node = newNode();
  node.terminal = (a?.terminal ?? false) || (b?.terminal ?? false);
  for (const src of [a, b]) {
    if (src === undefined) continue;
    for (const key of Object.keys(src.children)) {
      node.children[key] = mergeNodes(node.children[key], src.children[key]);
    }
  }
  if (a?.wildcard !== undefined || b?.wildcard !== undefined) {
    node.wildcard = mergeNodes(a?.wildcard, b?.wildcard);
  }
  return node;
}

function filterIndex(key: string): number {
  return key.length * 32 + ((key.charCodeAt(0) | 32) & 31);
}

/** Folds the wildcard child into each literal child, recursively, and fills `filter`. */
function normalise(node: RedactNode): void {
  const keys = Object.keys(node.children);
  if (node.wildcard !== undefined) {
    for (const key of keys) node.children[key] = mergeNodes(node.children[key], node.wildcard);
    normalise(node.wildcard);
  }
  let max = 0;
  for (const key of keys) {
    max = Math.max(max, key.length);
    normalise(node.children[key]!);
  }
  node.filter = new Uint8Array(keys.length === 0 ? 0 : (max + 1) * 32);
  for (const key of keys) {
    // Child names are lowercase; an uppercase first letter maps to the same slot.
    node.filter[filterIndex(key)] = 1;
  }
}

/** Compiles redact paths into a trie. Throws CONFIG_INVALID for a malformed path. */
export function compileRedactPaths(paths: readonly string[]): RedactNode {
  const root = newNode();
  for (const path of paths) {
    const segments = parseRedactPath(path);
    let node = root;
    for (const seg of segments) {
      let next: RedactNode | undefined;
      if (seg === undefined) {
        next = node.wildcard ??= newNode();
      } else {
        next = node.children[seg] ??= newNode();
      }
      node = next;
    }
    node.terminal = true;
  }
  normalise(root);
  return root;
}

/** The trie node for `key` under `node`, or `undefined` when nothing below it is redacted. */
export function lookupRedactNode(node: RedactNode, key: string): RedactNode | undefined {
  if (key.length > 0 && node.filter[filterIndex(key)] === 1) {
    const found = node.children[key] ?? node.children[key.toLowerCase()];
    if (found !== undefined) return found;
  }
  return node.wildcard;
}

function canLookInto(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON !== 'function' && !ArrayBuffer.isView(value);
}

/**
 * Returns `value` with every field matched by `node` replaced by `censor`.
 * Returns `value` itself when nothing matched; otherwise copies of the
 * objects on the way to each match (never modifies `value`).
 */
export function redactObject(
  value: object,
  node: RedactNode,
  censor: string,
  inArray = false,
): object {
  if (Array.isArray(value)) {
    // Arrays do not consume a path segment, but an array directly inside an
    // array is not looked into (bounds the walk without a depth counter).
    const items: readonly unknown[] = value;
    if (inArray) return items;
    let copy: unknown[] | undefined;
    const n = Math.min(items.length, MAX_ARRAY_SCAN);
    for (let i = 0; i < n; i++) {
      const item = items[i];
      if (typeof item === 'object' && item !== null && canLookInto(item)) {
        const redacted = redactObject(item, node, censor, true);
        if (redacted !== item) {
          copy ??= items.slice();
          copy[i] = redacted;
        }
      }
    }
    return copy ?? items;
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  // Ownership is checked only before a change: see the note in the logger's transform.
  for (const key in record) {
    const child = lookupRedactNode(node, key);
    if (child === undefined) continue;
    const field = record[key];
    if (field === undefined) continue;
    if (child.terminal) {
      if (!Object.hasOwn(record, key)) continue;
      copy ??= Object.assign({}, record);
      copy[key] = censor;
    } else if (typeof field === 'object' && field !== null && canLookInto(field)) {
      const redacted = redactObject(field, child, censor);
      if (redacted !== field && Object.hasOwn(record, key)) {
        copy ??= Object.assign({}, record);
        copy[key] = redacted;
      }
    }
  }
  return copy ?? value;
}
