import type { SeriesLabels } from '@vigil/storage';
import { compareStrings } from '@vigil/storage';
import type { Expr } from '../parser/ast.js';

/**
 * The labels of the series `absent(arg)` / `absent_over_time(arg)` output
 * when nothing matches: for a vector or range selector, the labels of its
 * equality matchers except `__name__`; a label matched more than once (by
 * any matcher after a first equality matcher, or by a non-equality matcher
 * after it) is left out, as upstream. Any other argument gives no labels.
 * Pure; the evaluator calls it.
 */
export function absentLabels(arg: Expr): SeriesLabels {
  let matchers;
  if (arg.type === 'VectorSelector') matchers = arg.matchers;
  else if (arg.type === 'MatrixSelector') matchers = arg.vector.matchers;
  else return [];
  const values = new Map<string, string>();
  const seen = new Set<string>();
  for (const m of matchers) {
    if (m.name === '__name__') continue;
    if (m.type === '=' && !seen.has(m.name)) {
      values.set(m.name, m.value);
      seen.add(m.name);
    } else values.delete(m.name);
  }
  const out: string[] = [];
  for (const name of [...values.keys()].sort(compareStrings)) {
    const value = values.get(name)!;
    // An empty value means "no such label", as everywhere in Prometheus.
    if (value !== '') out.push(name, value);
  }
  return out;
}
