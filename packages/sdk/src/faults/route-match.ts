/**
 * Route templates of fault scopes (`/api/users/:id`, `/api/*`) and how they
 * match a request: against the framework's route template when the HTTP core
 * knows it, else against the raw URL path.
 */

/** One segment of a compiled template. */
type Segment =
  | { readonly type: 'literal'; readonly text: string }
  | { readonly type: 'param' }
  | { readonly type: 'rest' };

/**
 * A compiled route template. Immutable; safe to share.
 *
 * @internal Built by {@link compileRouteTemplate}; only the faults module uses it.
 */
export interface RouteMatcher {
  /** The template as written. */
  readonly template: string;
  /** Segments after the leading `/`; empty for the root `/`. */
  readonly segments: readonly Segment[];
  /** True when the template has no `:param` and no `*`: it names one exact path. */
  readonly literal: boolean;
}

/** Longest route template accepted, in characters. */
export const MAX_ROUTE_TEMPLATE_LENGTH = 1024;

/**
 * Compiles a route template, or returns a message saying what is wrong with
 * it. A template starts with `/`; `:name` stands for exactly one non-empty
 * segment; `*` (only as the last segment) stands for the rest of the path,
 * possibly empty. One trailing `/` is ignored.
 */
export function compileRouteTemplate(template: string): RouteMatcher | string {
  if (template.length === 0 || template[0] !== '/') {
    return `must start with "/" (for example "/api/users/:id"), got ${JSON.stringify(template)}`;
  }
  if (template.length > MAX_ROUTE_TEMPLATE_LENGTH) {
    return `must be at most ${MAX_ROUTE_TEMPLATE_LENGTH} characters long`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s?#\u0000-\u001f\u007f]/.test(template)) {
    return 'must be a path without spaces, control characters, "?" or "#"';
  }
  const parts = splitPath(template);
  const segments: Segment[] = [];
  let literal = true;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '') return 'must not contain an empty segment ("//")';
    if (part === '*') {
      if (i !== parts.length - 1) return '"*" may only be the last segment (it matches the rest)';
      segments.push({ type: 'rest' });
      literal = false;
    } else if (part.startsWith(':')) {
      if (!/^:[A-Za-z_][A-Za-z0-9_]*$/.test(part)) {
        return `has an invalid parameter ${JSON.stringify(part)} (use ":name", letters, digits and "_")`;
      }
      segments.push({ type: 'param' });
      literal = false;
    } else if (part.includes('*') || part.includes(':')) {
      return `has segment ${JSON.stringify(part)}: ":" and "*" must stand alone at the start of a segment`;
    } else {
      segments.push({ type: 'literal', text: part });
    }
  }
  return Object.freeze({ template, segments: Object.freeze(segments), literal });
}

/**
 * Whether a request is in the scope of `matcher`.
 *
 * - When `route` (the framework's route template) is given, a template with
 *   parameters or `*` matches it segment by segment: a literal equals a
 *   literal, `:name` matches any parameter segment of the route (`:id`
 *   matches `:userId`, but not the static segment `me`), and `*` matches the
 *   rest. So `/api/users/:id` does not catch a static route `/api/users/me`.
 * - Otherwise it matches the raw path: `:name` is any one non-empty segment.
 * - A literal template (no parameters, no `*`) names one exact path: it
 *   matches when it equals the raw path or the route.
 *
 * A trailing `/` on the path or route is ignored. Comparison is
 * case-sensitive and on the raw (still percent-encoded) text.
 */
export function matchesRoute(matcher: RouteMatcher, path: string, route?: string): boolean {
  if (matcher.literal) {
    return (
      matchSegments(matcher.segments, path, false) ||
      (route !== undefined && matchSegments(matcher.segments, route, true))
    );
  }
  if (route !== undefined) return matchSegments(matcher.segments, route, true);
  return matchSegments(matcher.segments, path, false);
}

/** `'/a/b/'` → `['a', 'b']`; `'/'` and `''` → `[]`. Only for compiling: matching never splits. */
function splitPath(path: string): string[] {
  let body = path.startsWith('/') ? path.slice(1) : path;
  if (body.endsWith('/')) body = body.slice(0, -1);
  return body === '' ? [] : body.split('/');
}

const SLASH = 0x2f;
const COLON = 0x3a;

/**
 * Matches `pattern` against the segments of `target` in place (the request
 * path: no split, no allocation). A leading and one trailing `/` are ignored.
 */
function matchSegments(pattern: readonly Segment[], target: string, ofRoute: boolean): boolean {
  let pos = target.charCodeAt(0) === SLASH ? 1 : 0;
  let end = target.length;
  if (end > pos && target.charCodeAt(end - 1) === SLASH) end--;
  // No segment at all: mark the target as used up.
  if (pos >= end) pos = end + 1;
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i]!;
    if (seg.type === 'rest') return true;
    if (pos > end) return false;
    let next = target.indexOf('/', pos);
    if (next < 0 || next > end) next = end;
    if (seg.type === 'literal') {
      if (next - pos !== seg.text.length || !target.startsWith(seg.text, pos)) return false;
    } else if (next === pos || (ofRoute && target.charCodeAt(pos) !== COLON)) {
      return false;
    }
    pos = next + 1;
  }
  return pos > end;
}
