/**
 * SLO files for `vigil server`: the `slo_files` patterns expanded and loaded
 * into the SLO model, and the SLOs' alerting rules generated for the rule
 * evaluator. The SLO engine itself records the series those rules read (the
 * recording rules Sloth would export are not evaluated here: the engine
 * computes the same series incrementally).
 *
 * @module
 */
import { parseRuleFile } from '@vigil/rules';
import type { RuleGroupSpec } from '@vigil/rules';
import {
  describeTimeScale,
  formatRuleFile,
  generateRuleGroups,
  loadSloFiles,
  nominalPeriodMs,
  scaleSlo,
} from '@vigil/slo';
import type { Slo, SloSpecSet } from '@vigil/slo';
import { expandFilePatterns } from './file-patterns.js';

/** SLO specs read from files, and what the server derives from them. */
export interface LoadedSlos {
  /** The services, SLOs and warnings of every file. */
  readonly specs: SloSpecSet;
  /** The files read, in order. */
  readonly files: readonly string[];
  /** The SLOs the engine evaluates (those whose SLI is PromQL). */
  readonly evaluable: readonly Slo[];
  /**
   * Burn-rate (page, ticket), budget-exhausted and no-data alert groups, one
   * set per SLO, attributed to the SLO's spec file; empty when `alerts` is off.
   */
  readonly alertGroups: readonly RuleGroupSpec[];
  /**
   * The demo time scale applied to `evaluable` and `alertGroups` (1 = real
   * time); `specs` keeps the SLOs as written.
   */
  readonly timeScale: number;
}

/**
 * Expands `patterns` (absolute paths or patterns, as `rule_files`) and loads
 * every file. A plain path that does not exist is an error; a pattern that
 * matches nothing is not. With `timeScale` above 1 (a demo setting), every
 * evaluable SLO's windows are divided by it (`scaleSlo`) before the engine
 * and the alert rules see them.
 *
 * @throws VigilError `SLO_SPEC_INVALID` naming the file, the path in it and
 *   the rule broken, or the SLO whose window the time scale makes shorter than 1 s.
 */
export async function loadSlos(
  patterns: readonly string[],
  options: { readonly alerts: boolean; readonly timeScale?: number },
): Promise<LoadedSlos> {
  const timeScale = options.timeScale ?? 1;
  const files = expandFilePatterns(patterns);
  const specs = await loadSloFiles(files);
  const evaluable = specs.slos
    .filter((slo) => slo.evaluable)
    .map((slo) => scaleSlo(slo, timeScale));
  const alertGroups: RuleGroupSpec[] = [];
  if (options.alerts) {
    for (const slo of evaluable) {
      const generated = generateRuleGroups([slo], { disableRecordings: true });
      if (generated.length === 0) continue;
      // Through the rule-file parser, so that these rules get exactly the checks a user's file gets.
      alertGroups.push(...parseRuleFile(formatRuleFile(generated), slo.source.file));
    }
  }
  return { specs, files, evaluable, alertGroups, timeScale };
}

/**
 * "3 SLO(s) for 2 service(s)", or "none (no slo_files)"; with a time scale,
 * what it does to the first SLO's window ("time scale 60x: 30d windows last
 * 12h — demo only").
 */
export function describeSlos(loaded: LoadedSlos | undefined, intervalMs: number): string {
  if (loaded === undefined || loaded.specs.slos.length === 0) return 'none (no slo_files)';
  const services = new Set(loaded.specs.slos.map((s) => s.service)).size;
  const skipped = loaded.specs.slos.length - loaded.evaluable.length;
  return (
    `${loaded.evaluable.length} SLO(s) for ${services} service(s), evaluated every ${intervalMs / 1000}s` +
    (skipped > 0 ? ` (${skipped} not evaluable: no PromQL SLI)` : '') +
    (loaded.alertGroups.length > 0
      ? `; their alerts in ${loaded.alertGroups.length} rule group(s)`
      : '') +
    (loaded.timeScale === 1 ? '' : `; ${timeScaleNote(loaded)}`)
  );
}

function timeScaleNote(loaded: LoadedSlos): string {
  const first = loaded.specs.slos.find((s) => s.evaluable);
  return first === undefined
    ? describeTimeScale(loaded.timeScale)
    : describeTimeScale(loaded.timeScale, nominalPeriodMs(first.window));
}
