/**
 * Test helpers: SloStatus fixtures, recorded-series writers over a
 * MemoryStorage, and a small XML well-formedness check.
 */
import assert from 'node:assert/strict';
import { labelsFromRecord } from '@vigil/storage';
import type { MemoryStorage } from '@vigil/storage';
import type { SloStatus } from '../status.js';

const DAY_MS = 86_400_000;

/** A healthy 99.9% / 30d occurrences SLO status with `remaining` budget left; override any field. */
export function statusFixture(
  id: string,
  remaining: number | null,
  overrides: Partial<SloStatus> = {},
): SloStatus {
  const [service = 'svc', ...rest] = id.split('-');
  const evaluatedAtMs = overrides.evaluatedAtMs ?? Date.UTC(2026, 10, 28, 12);
  const consumed = remaining === null ? null : 1 - remaining;
  return {
    id,
    service,
    name: rest.join('-') || 'availability',
    target: 0.999,
    window: { kind: 'rolling', durationMs: 30 * DAY_MS },
    budgetingMethod: 'occurrences',
    labels: {},
    evaluatedAtMs,
    periodStartMs: evaluatedAtMs - 30 * DAY_MS,
    periodEndMs: evaluatedAtMs,
    dataState: remaining === null ? 'no-data' : 'ok',
    sli: consumed === null ? null : 1 - consumed * 0.001,
    events:
      remaining === null ? null : { good: 999_000, bad: 1000 * (consumed ?? 0), total: 1_000_000 },
    budget: {
      allowedFraction: 0.001,
      allowedEvents: remaining === null ? null : 1000,
      allowedMinutes: null,
      consumedFraction: consumed,
      remainingFraction: remaining,
      consumedEvents: consumed === null ? null : consumed * 1000,
      consumedMinutes: null,
      remainingEvents: remaining === null ? null : remaining * 1000,
      remainingMinutes: null,
    },
    periodBurnRate: consumed,
    burnRates: ['1h', '6h', '1d', '3d'].map((window, i) => ({
      windowMs: [3_600_000, 21_600_000, DAY_MS, 3 * DAY_MS][i]!,
      window,
      errorRatio: remaining === null ? null : 0.0005 * (i + 1),
      burnRate: remaining === null ? null : 0.5 * (i + 1),
      events: remaining === null ? null : 1000,
    })),
    exhaustionAtMs: null,
    ...overrides,
  };
}

/**
 * Appends one recorded series (`name` with Sloth's id labels for `sloId`,
 * plus `extra` labels) at `fromMs, fromMs + stepMs, ...` up to `toMs`
 * inclusive, with `value(tMs)`; a value of `null` writes nothing.
 */
export async function writeSeries(
  storage: MemoryStorage,
  name: string,
  sloId: string,
  fromMs: number,
  toMs: number,
  stepMs: number,
  value: (tMs: number) => number | null,
  extra: Record<string, string> = {},
): Promise<void> {
  const [service = 'svc', ...rest] = sloId.split('-');
  const labels = labelsFromRecord({
    __name__: name,
    sloth_id: sloId,
    sloth_service: service,
    sloth_slo: rest.join('-'),
    ...extra,
  });
  const app = storage.appender();
  let ref = 0;
  for (let t = fromMs; t <= toMs; t += stepMs) {
    const v = value(t);
    if (v === null) continue;
    ref = app.append(ref, labels, t, v);
  }
  await app.commit();
}

/**
 * Asserts that `text` is well-formed XML of one root element: tags nest and
 * close, attribute values are quoted, entities are the five predefined or
 * numeric ones, and no `<` or `&` stands bare in text. Returns the element
 * names in document order.
 */
export function assertWellFormedXml(text: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const token =
    /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_:][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|<!--[^]*?-->/gy;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    assert.doesNotMatch(
      chunk,
      /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/,
      `bare & in ${chunk}`,
    );
    if (stack.length === 0) assert.match(chunk, /^\s*$/, `text outside the root element: ${chunk}`);
    if (lt < 0) break;
    token.lastIndex = lt;
    const m = token.exec(text);
    assert.ok(m !== null, `malformed markup at ${lt}: ${text.slice(lt, lt + 60)}`);
    i = token.lastIndex;
    if (m[2] === undefined) continue; // comment
    if (m[1] === '/') {
      assert.equal(stack.pop(), m[2], `</${m[2]}> closes the wrong element`);
      continue;
    }
    if (stack.length === 0) roots++;
    names.push(m[2]);
    const attrNames = [...(m[3] ?? '').matchAll(/([A-Za-z_:][\w.:-]*)\s*=/g)].map((a) => a[1]);
    assert.equal(new Set(attrNames).size, attrNames.length, `duplicate attribute in <${m[2]}>`);
    if (m[4] !== '/') stack.push(m[2]);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'exactly one root element');
  return names;
}
