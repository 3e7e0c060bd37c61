import { ErrorCodes, VigilError, parseDurationMs } from '@vigil/model';
import { formatParseError, parseExpr } from '@vigil/promql';
import { z } from 'zod';
import { renderWindow } from './model.js';

/** One broken rule in a spec: where (path inside the document) and what. */
export interface SpecIssue {
  /** Path inside the document, e.g. `slos[2].sli.events.error_query` (empty for the root). */
  readonly path: string;
  /** The rule broken, e.g. `must be at most 100`. */
  readonly rule: string;
}

/** A YAML document being converted: the file and its position among the file's documents. */
export interface DocContext {
  /** File name as given to the loader. */
  readonly file: string;
  /** 1-based document index inside the file. */
  readonly docIndex: number;
  /** How many documents the file holds. */
  readonly docCount: number;
}

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Formats a path of keys and indexes as `slos[2].sli.events.error_query`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else {
      const key = String(s);
      out += IDENT_RE.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Joins a base path and a child key or index (`slos[2]`, `slos.checkout`, `slos["a b"]`). */
export function childPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (!IDENT_RE.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base === '' ? key : `${base}.${key}`;
}

/** Converts zod issues into spec issues, prefixing `basePath`. */
export function zodIssues(error: z.ZodError, basePath = ''): SpecIssue[] {
  return error.issues.map((issue) => {
    const sub = formatPath(issue.path);
    const path = basePath === '' ? sub : sub === '' ? basePath : joinPaths(basePath, sub);
    return { path, rule: issue.message };
  });
}

function joinPaths(base: string, sub: string): string {
  return sub.startsWith('[') ? base + sub : `${base}.${sub}`;
}

/** Where a document is, for messages: `file` or `file (document 2 of 3)`. */
export function docLabel(ctx: DocContext): string {
  return ctx.docCount > 1 ? `${ctx.file} (document ${ctx.docIndex} of ${ctx.docCount})` : ctx.file;
}

/**
 * The `SLO_SPEC_INVALID` error for `issues` in the document `ctx`: the message
 * names the file, each path and each rule (the first 5; `details.issues` has all).
 */
export function specInvalid(ctx: DocContext, issues: readonly SpecIssue[]): VigilError {
  const where = docLabel(ctx);
  const shown = issues
    .slice(0, 5)
    .map((i) => `${where}: ${i.path === '' ? '(document root)' : i.path}: ${i.rule}`);
  if (issues.length > 5) shown.push(`... and ${issues.length - 5} more`);
  return new VigilError(
    ErrorCodes.SLO_SPEC_INVALID,
    `Invalid SLO spec: ${shown.join('; ')}. Fix the spec and load it again.`,
    { details: { file: ctx.file, document: ctx.docIndex, issues: [...issues] } },
  );
}

/**
 * Checks that `query` parses as PromQL once `{{.window}}` is replaced by `5m`;
 * pushes an issue naming `path` and the parse error otherwise.
 */
export function checkPromql(query: string, path: string, issues: SpecIssue[]): void {
  const rendered = renderWindow(query, '5m');
  try {
    parseExpr(rendered);
  } catch (err) {
    issues.push({ path, rule: `must be valid PromQL: ${formatParseError(err, rendered)}` });
  }
}

/** True when `query` contains the `{{.window}}` placeholder. */
export function hasWindowPlaceholder(query: string): boolean {
  return /\{\{\s*\.window\s*\}\}/.test(query);
}

/** A positive duration in a spec (`5m`, `30d`, `4w`) → ms; anything else is an issue at its path. */
export const positiveDuration = z.string().transform((text, ctx) => {
  try {
    const ms = parseDurationMs(text);
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  ctx.addIssue({
    code: 'custom',
    message: `must be a positive duration such as 5m, 30d or 4w (got "${text}")`,
  });
  return z.NEVER;
});
