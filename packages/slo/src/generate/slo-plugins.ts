/**
 * Sloth SLO plugins for rule export: transforms of an SLO's generated rule
 * groups, declared in a Sloth spec's `slo_plugins`/`plugins` chains. Vigil
 * ships the contrib plugins `info_labels` and `rule_intervals` and the no-op
 * `debug`; callers may register more.
 */
import { ErrorCodes, VigilError, isValidLabelName, parseDurationMs } from '@vigil/model';
import { z } from 'zod';
import type { Slo } from '../model.js';
import type { GeneratedRuleGroup } from './rule-groups.js';

/**
 * An SLO plugin: from the SLO, its configuration and the SLO's rule groups
 * (Sloth's three: SLI recordings, metadata recordings, alerts; a group may be
 * empty or missing when disabled), the new groups. Must not mutate its input.
 * Throws to reject its configuration.
 */
export type SloRulesPlugin = (input: {
  readonly slo: Slo;
  readonly config: unknown;
  readonly groups: readonly GeneratedRuleGroup[];
}) => GeneratedRuleGroup[];

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const infoLabelsConfig = z.looseObject({ labels: z.record(z.string(), scalar) });

/** `sloth.dev/contrib/info_labels/v1`: merges `config.labels` into `sloth_slo_info`'s labels (they win). */
const infoLabels: SloRulesPlugin = ({ config, groups }) => {
  const parsed = infoLabelsConfig.safeParse(config);
  if (!parsed.success) throw new Error('config must be {labels: {name: value, ...}}');
  const extra = parsed.data.labels;
  for (const name of Object.keys(extra))
    if (!isValidLabelName(name)) throw new Error(`"${name}" is not a valid label name`);
  return groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) =>
      'record' in r && r.record === 'sloth_slo_info'
        ? { ...r, labels: { ...r.labels, ...extra } }
        : r,
    ),
  }));
};

const duration = z.string().refine((text) => {
  try {
    return parseDurationMs(text) > 0;
  } catch {
    return false;
  }
}, 'must be a positive duration such as 5m');
const ruleIntervalsConfig = z.looseObject({
  interval: z.strictObject({
    default: duration,
    sliError: duration.optional(),
    metadata: duration.optional(),
    alert: duration.optional(),
  }),
});

/**
 * `sloth.dev/contrib/rule_intervals/v1`: sets the evaluation interval of the
 * SLO's groups: `config.interval.sliError`, `.metadata` and `.alert` per
 * group kind, `.default` for the rest.
 */
const ruleIntervals: SloRulesPlugin = ({ config, groups }) => {
  const parsed = ruleIntervalsConfig.safeParse(config);
  if (!parsed.success)
    throw new Error(
      `config must be {interval: {default: <duration>, sliError?, metadata?, alert?}}: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  const i = parsed.data.interval;
  return groups.map((g) => {
    const interval = g.name.startsWith('sloth-slo-sli-recordings-')
      ? (i.sliError ?? i.default)
      : g.name.startsWith('sloth-slo-meta-recordings-')
        ? (i.metadata ?? i.default)
        : g.name.startsWith('sloth-slo-alerts-')
          ? (i.alert ?? i.default)
          : i.default;
    return { ...g, interval };
  });
};

/** The SLO plugins Vigil knows by id. */
export const BUILTIN_SLO_PLUGINS: ReadonlyMap<string, SloRulesPlugin> = new Map([
  ['sloth.dev/core/debug/v1', ({ groups }) => [...groups]],
  ['sloth.dev/contrib/info_labels/v1', infoLabels],
  ['sloth.dev/contrib/rule_intervals/v1', ruleIntervals],
]);

/**
 * Runs the SLO plugins of `slo` over its Sloth groups `groups`, in Sloth's
 * order: stably sorted by priority; those below 0 run before the rules exist
 * (on empty groups; what they return is discarded, as Sloth's default rule
 * plugins overwrite it), the others after. `registry` adds to and overrides
 * {@link BUILTIN_SLO_PLUGINS}. Throws `SLO_SPEC_INVALID` for an unknown id or a
 * plugin that rejects its configuration.
 */
export function runSloPlugins(
  slo: Slo,
  groups: GeneratedRuleGroup[],
  registry: ReadonlyMap<string, SloRulesPlugin> | undefined,
): GeneratedRuleGroup[] {
  const refs = [...(slo.plugins ?? [])].sort((a, b) => a.priority - b.priority);
  if (refs.length === 0) return groups;
  let out = groups;
  const empty = groups.map((g) => ({ ...g, rules: [] }));
  for (const ref of refs) {
    const plugin = registry?.get(ref.id) ?? BUILTIN_SLO_PLUGINS.get(ref.id);
    const fail = (why: string): VigilError =>
      new VigilError(
        ErrorCodes.SLO_SPEC_INVALID,
        `SLO ${slo.id} (${slo.source.file}): SLO plugin "${ref.id}" ${why}`,
        { details: { file: slo.source.file, id: slo.id, plugin: ref.id } },
      );
    if (plugin === undefined)
      throw fail(`is not known; Vigil provides ${[...BUILTIN_SLO_PLUGINS.keys()].join(', ')}`);
    try {
      if (ref.priority < 0) plugin({ slo, config: ref.config, groups: empty });
      else out = plugin({ slo, config: ref.config, groups: out });
    } catch (err) {
      throw fail(`failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}
