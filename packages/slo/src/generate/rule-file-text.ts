/**
 * Writes generated rule groups as a Prometheus rule file (YAML), laid out as
 * Sloth's output: header comment lines, `groups:`, rule keys in Prometheus's
 * order, label and annotation maps sorted by name.
 */
import { Document } from 'yaml';
import type { GeneratedRuleGroup } from './rule-groups.js';

function sortedMap(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k] ?? '';
  return out;
}

/**
 * Formats `groups` as the text of one Prometheus rule file. `header` lines
 * are written first as `# ` comments, then an empty line. Multi-line
 * expressions are written as block scalars; lines are not folded. The text
 * ends with a newline. Pure.
 */
export function formatRuleFile(
  groups: readonly GeneratedRuleGroup[],
  header: readonly string[] = [],
): string {
  const data = {
    groups: groups.map((g) => ({
      name: g.name,
      ...(g.interval === undefined ? {} : { interval: g.interval }),
      rules: g.rules.map((r) =>
        'record' in r
          ? {
              record: r.record,
              expr: r.expr,
              ...(Object.keys(r.labels).length === 0 ? {} : { labels: sortedMap(r.labels) }),
            }
          : {
              alert: r.alert,
              expr: r.expr,
              ...(r.for === undefined ? {} : { for: r.for }),
              ...(Object.keys(r.labels).length === 0 ? {} : { labels: sortedMap(r.labels) }),
              ...(Object.keys(r.annotations).length === 0
                ? {}
                : { annotations: sortedMap(r.annotations) }),
            },
      ),
    })),
  };
  const body = new Document(data).toString({ lineWidth: 0, indentSeq: false, singleQuote: true });
  const head = header.map((line) => (line === '' ? '#' : `# ${line}`)).join('\n');
  return head === '' ? body : `${head}\n\n${body}`;
}
