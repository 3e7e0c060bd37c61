/**
 * `vigil slo generate`: SLO specs → Prometheus recording and alerting rules
 * in Sloth's layout (see docs/slo-rules.md).
 *
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { vigilVersion } from '../version.js';
import { isValidLabelName, isVigilError, parseDurationMs } from '@vigil/model';
import {
  formatRuleFile,
  generateRuleGroups,
  loadSloFiles,
  parseAlertWindowsSpec,
  type AlertWindow,
  type GenerateOptions,
  type Slo,
} from '@vigil/slo';

/** Where the command writes: each call gets one chunk of text. */
export interface CommandOutput {
  /** Normal output (the rules when no `-o` is given). */
  readonly stdout: (text: string) => void;
  /** Messages and errors. */
  readonly stderr: (text: string) => void;
}

/** The help text of `vigil slo generate`. */
export const SLO_GENERATE_HELP = `Usage: vigil slo generate FILE... [-o DIR] [-l key=value]... [--sloth-compat]
                          [--no-alerts] [--no-recordings] [--windows FILE|DIR]
                          [--default-period DURATION]

Writes Prometheus recording and alerting rules for the SLOs in FILE... (Vigil,
OpenSLO v1 or Sloth prometheus/v1 specs), with Sloth's rule names and labels
(slo:sli_error:ratio_rate5m, slo:objective:ratio, ..., sloth_slo_info) and
multiwindow, multi-burn-rate page and ticket alerts, plus Vigil's own alerts
(budget exhausted, no data) and the low-traffic guard (alerting.minEvents).
See docs/slo-rules.md.

Options:
  -o, --out DIR           Write one file per input, DIR/<name>.rules.yml
                          (default: all rules on stdout, one YAML document per input).
  -l, --label key=value   Add a label to every recording rule (repeatable).
  --sloth-compat          Generate only what Sloth generates (no Vigil alerts, no guard).
  --no-alerts             Leave out the alert groups.
  --no-recordings         Leave out the recording groups.
  --windows FILE|DIR      Sloth AlertWindows spec(s) replacing the built-in windows.
  --default-period DUR    Period of Sloth prometheus/v1 SLOs (default 30d).
  -h, --help              Show this help.

Exit status: 0 on success, 1 when a spec or windows file is invalid, 2 on a
usage error.
`;

const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

function windowFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(path, f));
}

function loadCatalog(path: string): Map<number, AlertWindow[]> {
  const catalog = new Map<number, AlertWindow[]>();
  for (const file of windowFiles(path))
    for (const [periodMs, windows] of parseAlertWindowsSpec(readFileSync(file, 'utf8'), file)) {
      if (catalog.has(periodMs))
        throw new Error(`${file}: a second AlertWindows spec for the same SLO period`);
      catalog.set(periodMs, windows);
    }
  return catalog;
}

/** The output file name of an input: its base name without extension, plus `.rules.yml`. */
export function outputFileName(input: string): string {
  return `${basename(input, extname(input))}.rules.yml`;
}

/**
 * Runs `vigil slo generate` with `args` (after `generate`), writing to `out`,
 * and resolves to the exit status. Reads the spec files and, with `-o`,
 * writes the rule files.
 */
export async function sloGenerate(args: readonly string[], out: CommandOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        label: { type: 'string', short: 'l', multiple: true },
        'sloth-compat': { type: 'boolean' },
        'no-alerts': { type: 'boolean' },
        'no-recordings': { type: 'boolean' },
        windows: { type: 'string' },
        'default-period': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    out.stderr(`vigil: ${(err as Error).message}\n\n${SLO_GENERATE_HELP}`);
    return EXIT_USAGE;
  }
  const { values, positionals: files } = parsed;
  if (values.help === true) {
    out.stdout(SLO_GENERATE_HELP);
    return 0;
  }
  if (files.length === 0) {
    out.stderr(`vigil: slo generate needs at least one FILE\n\n${SLO_GENERATE_HELP}`);
    return EXIT_USAGE;
  }
  const extraLabels: Record<string, string> = {};
  for (const kv of values.label ?? []) {
    const eq = kv.indexOf('=');
    const name = eq < 0 ? kv : kv.slice(0, eq);
    if (eq < 0 || !isValidLabelName(name)) {
      out.stderr(`vigil: -l "${kv}": expected key=value with a valid Prometheus label name\n`);
      return EXIT_USAGE;
    }
    extraLabels[name] = kv.slice(eq + 1);
  }
  let defaultPeriodMs: number | undefined;
  if (values['default-period'] !== undefined) {
    try {
      defaultPeriodMs = parseDurationMs(values['default-period']);
      if (defaultPeriodMs <= 0) throw new Error('not positive');
    } catch {
      out.stderr(
        `vigil: --default-period "${values['default-period']}": expected a duration such as 30d\n`,
      );
      return EXIT_USAGE;
    }
  }

  const version = `v${vigilVersion()}`;
  let byFile: Map<string, Slo[]>;
  let options: GenerateOptions;
  try {
    const windowCatalog = values.windows === undefined ? undefined : loadCatalog(values.windows);
    const set = await loadSloFiles(files);
    for (const w of set.warnings)
      out.stderr(`  warning: ${w.file}: ${w.path === '' ? '' : w.path + ': '}${w.message}\n`);
    byFile = new Map(files.map((f) => [f, [] as Slo[]]));
    for (const slo of set.slos) byFile.get(slo.source.file)?.push(slo);
    options = {
      version,
      mode: 'cli-gen-prom',
      extraLabels,
      disableAlerts: values['no-alerts'] === true,
      disableRecordings: values['no-recordings'] === true,
      slothCompatible: values['sloth-compat'] === true,
      ...(windowCatalog === undefined ? {} : { windowCatalog }),
      ...(defaultPeriodMs === undefined ? {} : { defaultPeriodMs }),
    };
    // Generate everything before writing anything, so an error leaves no partial output.
    const texts = new Map<string, string>();
    for (const [file, slos] of byFile) {
      if (slos.length === 0) continue;
      const header = [
        `Code generated by Vigil (${version}) from ${basename(file)}: vigil slo generate.`,
        'DO NOT EDIT.',
      ];
      texts.set(file, formatRuleFile(generateRuleGroups(slos, options), header));
    }
    if (values.out === undefined) {
      for (const text of texts.values()) out.stdout(`---\n${text}`);
      return 0;
    }
    const names = new Map<string, string>();
    for (const file of texts.keys()) {
      const name = outputFileName(file);
      if ([...names.values()].includes(name))
        throw new Error(`two inputs would both be written to ${name}; rename one of them`);
      names.set(file, name);
    }
    mkdirSync(values.out, { recursive: true });
    for (const [file, text] of texts) {
      const name = names.get(file) ?? outputFileName(file);
      writeFileSync(join(values.out, name), text);
      out.stderr(`  wrote ${join(values.out, name)} (${byFile.get(file)?.length ?? 0} SLO(s))\n`);
    }
    return 0;
  } catch (err) {
    const code = isVigilError(err) ? `${err.code}: ` : '';
    out.stderr(
      `vigil: slo generate failed: ${code}${err instanceof Error ? err.message : String(err)}\n`,
    );
    return EXIT_INVALID;
  }
}
