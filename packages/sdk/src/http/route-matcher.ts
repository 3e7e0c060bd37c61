/**
 * Route templates for plain `node:http` servers, which have no router to ask:
 * `'/api/users/:id'`, `'/files/*'`. Frameworks report their own templates.
 */
import { ErrorCodes, VigilError } from '@vigil/model';

/** Finds the template a path belongs to. */
export type RouteMatcher = (path: string) => string | undefined;

interface Node {
  readonly statics: Map<string, Node>;
  param: Node | undefined;
  /** Template ending here. */
  template: string | undefined;
  /** Template of a `*` segment here (matches the rest, at least one segment). */
  wildcard: string | undefined;
}

function newNode(): Node {
  return { statics: new Map(), param: undefined, template: undefined, wildcard: undefined };
}

function invalid(template: unknown, why: string): VigilError {
  return new VigilError(
    ErrorCodes.CONFIG_INVALID,
    `Route template ${JSON.stringify(template)} ${why}. Write templates like ` +
      `'/api/users/:id' (':name' matches one path segment) or '/files/*' ('*' matches the rest).`,
    { details: { template } },
  );
}

/**
 * Compiles templates into a matcher. Static segments win over `:param`,
 * which wins over `*`; a trailing slash is ignored (`/a/` matches `/a`).
 * Segments are compared as they appear on the wire (not percent-decoded).
 * Matching allocates nothing. Throws `CONFIG_INVALID` for a template that
 * does not start with `/` or has an empty `:` name or a `*` before the end.
 */
export function compileRoutes(templates: readonly string[]): RouteMatcher {
  const root = newNode();
  for (const template of templates) {
    if (typeof template !== 'string' || !template.startsWith('/')) {
      throw invalid(template, 'must be a string starting with "/"');
    }
    const segments = template.split('/').slice(1);
    if (segments[segments.length - 1] === '') segments.pop();
    let node = root;
    let wildcard = false;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment === '*') {
        if (i !== segments.length - 1) throw invalid(template, 'has "*" before its last segment');
        node.wildcard ??= template;
        wildcard = true;
      } else if (segment.startsWith(':')) {
        if (segment.length === 1) throw invalid(template, 'has a ":" without a name');
        node = node.param ??= newNode();
      } else {
        let next = node.statics.get(segment);
        if (next === undefined) node.statics.set(segment, (next = newNode()));
        node = next;
      }
    }
    if (!wildcard) node.template ??= template;
  }
  return (path) => match(root, path, 1);
}

function match(node: Node, path: string, start: number): string | undefined {
  if (start >= path.length) return node.template;
  let end = path.indexOf('/', start);
  if (end === -1) end = path.length;
  if (node.statics.size > 0) {
    const next = node.statics.get(path.slice(start, end));
    if (next !== undefined) {
      const found = match(next, path, end + 1);
      if (found !== undefined) return found;
    }
  }
  if (node.param !== undefined && end > start) {
    const found = match(node.param, path, end + 1);
    if (found !== undefined) return found;
  }
  return end > start ? node.wildcard : undefined;
}
