/**
 * Sloth's `AlertWindows` spec (`apiVersion: sloth.slok.dev/v1`,
 * `kind: AlertWindows`): the multiwindow burn-rate windows for one SLO period.
 */
import { ErrorCodes, VigilError, parseDurationMs } from '@vigil/model';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { AlertWindow } from '../model.js';

/** Alert windows by SLO period, ms (Sloth's window catalog). */
export type AlertWindowCatalog = ReadonlyMap<number, readonly AlertWindow[]>;

const duration = z.string().min(1);
const windowSchema = z.strictObject({
  errorBudgetPercent: z.number().gt(0).lte(100),
  shortWindow: duration,
  longWindow: duration,
});
const tierSchema = z.strictObject({ quick: windowSchema, slow: windowSchema });
const specSchema = z.looseObject({
  apiVersion: z.literal('sloth.slok.dev/v1'),
  kind: z.literal('AlertWindows'),
  spec: z.strictObject({ sloPeriod: duration, page: tierSchema, ticket: tierSchema }),
});

function invalid(file: string, message: string, cause?: unknown): VigilError {
  return new VigilError(
    ErrorCodes.SLO_SPEC_INVALID,
    `Invalid alert windows file ${file}: ${message}`,
    { ...(cause === undefined ? {} : { cause }), details: { file } },
  );
}

function ms(text: string, file: string, path: string): number {
  try {
    const value = parseDurationMs(text);
    if (value <= 0) throw new Error('must be positive');
    return value;
  } catch (err) {
    throw invalid(file, `${path}: "${text}" must be a positive duration such as 5m or 1d`, err);
  }
}

/**
 * Parses the Sloth `AlertWindows` documents in `text` (`file` names it in
 * messages) and returns their windows keyed by SLO period, ms, in Sloth's
 * order: page quick, page slow, ticket quick, ticket slow. Throws
 * `SLO_SPEC_INVALID` for anything else, including two specs for one period.
 * Pure; safe to call concurrently.
 */
export function parseAlertWindowsSpec(text: string, file: string): Map<number, AlertWindow[]> {
  const out = new Map<number, AlertWindow[]>();
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw invalid(file, doc.errors[0]?.message ?? 'invalid YAML');
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const parsed = specSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.join('.') ?? '';
      throw invalid(
        file,
        `${path === '' ? '' : `${path}: `}${issue?.message ?? 'not an AlertWindows spec'} (expected apiVersion sloth.slok.dev/v1, kind AlertWindows, spec.sloPeriod, spec.page/ticket.quick/slow)`,
      );
    }
    const spec = parsed.data.spec;
    const periodMs = ms(spec.sloPeriod, file, 'spec.sloPeriod');
    if (out.has(periodMs))
      throw invalid(file, `two AlertWindows specs for the SLO period ${spec.sloPeriod}`);
    const windows: AlertWindow[] = [];
    for (const tier of ['page', 'ticket'] as const)
      for (const speed of ['quick', 'slow'] as const) {
        const w = spec[tier][speed];
        const path = `spec.${tier}.${speed}`;
        windows.push({
          tier,
          errorBudgetPercent: w.errorBudgetPercent,
          shortWindowMs: ms(w.shortWindow, file, `${path}.shortWindow`),
          longWindowMs: ms(w.longWindow, file, `${path}.longWindow`),
        });
      }
    out.set(periodMs, windows);
  }
  if (out.size === 0) throw invalid(file, 'holds no AlertWindows document');
  return out;
}
