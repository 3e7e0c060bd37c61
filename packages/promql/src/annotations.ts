import type { PositionRange } from './parser/ast.js';

/**
 * A warning or info annotation, as Prometheus attaches them to a query result
 * (for example "metric might not be a counter, name does not end in …").
 * They never fail a query.
 */
export interface Annotation {
  readonly kind: 'warning' | 'info';
  /** The bare message, without the `PromQL warning:` prefix or position. */
  readonly message: string;
  /** The sub-expression the annotation is about. */
  readonly pos: PositionRange;
}

/**
 * Collects a query's annotations, de-duplicated by their rendered text as
 * Prometheus does. One instance per query; not shared between queries.
 */
export class Annotations {
  readonly #byText = new Map<string, Annotation>();

  /** Adds a warning about the node at `pos`. */
  warn(message: string, pos: PositionRange): void {
    this.#add({ kind: 'warning', message, pos });
  }

  /** Adds an info annotation about the node at `pos`. */
  info(message: string, pos: PositionRange): void {
    this.#add({ kind: 'info', message, pos });
  }

  /** Adds every annotation of `other`. */
  merge(other: Annotations): void {
    for (const a of other.list()) this.#add(a);
  }

  /** All annotations in the order they were first added. */
  list(): Annotation[] {
    return [...this.#byText.values()];
  }

  #add(a: Annotation): void {
    const key = `${a.kind}\u0000${a.message}\u0000${a.pos.start}`;
    if (!this.#byText.has(key)) this.#byText.set(key, a);
  }
}

/**
 * Renders an annotation the way the Prometheus HTTP API shows it:
 * `PromQL warning: <message> (line:column)`, with a 1-based line and column
 * of the annotated node's start in `query`.
 */
export function formatAnnotation(annotation: Annotation, query: string): string {
  const prefix = annotation.kind === 'warning' ? 'PromQL warning' : 'PromQL info';
  const { line, column } = lineColumn(query, annotation.pos.start);
  return `${prefix}: ${annotation.message} (${line}:${column})`;
}

/** 1-based line and column of the UTF-16 offset `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
