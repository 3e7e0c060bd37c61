/**
 * The metrics of fault injection, so that a practice incident can be told
 * apart from a real one on the same dashboards.
 */
import { ErrorCodes } from '@vigil/model';
import { diagWarn } from '../diag.js';
import { Counter, Gauge } from '../metrics/index.js';
import type { Registry } from '../metrics/index.js';
import type { FaultKind } from './spec.js';

/** Names of the fault-injection metrics. */
export const FaultMetricNames = {
  /** Counter `{kind, fault}`: requests delayed or failed, and health checks failed, by a fault. */
  injected: 'vigil_faults_injected_total',
  /** Gauge `{kind}`: faults active right now. */
  active: 'vigil_faults_active',
} as const;

/** Series per metric at most; fault ids are user-chosen, so the counter is capped. */
const MAX_FAULT_SERIES = 1000;

/** @internal The two metrics, shared by every injector on one registry. */
export interface FaultMetrics {
  readonly injected: Counter<'kind' | 'fault'>;
  readonly active: Gauge<'kind'>;
}

/**
 * Finds the fault metrics in `registry` or registers them. A metric of the
 * same name with another type or other labels is left alone: the values are
 * then kept in an unregistered metric and a warning says so.
 *
 * @internal
 */
export function faultMetrics(registry: Registry): FaultMetrics {
  return {
    injected: reuseOrCreate(
      registry,
      FaultMetricNames.injected,
      ['kind', 'fault'],
      (target) =>
        new Counter({
          name: FaultMetricNames.injected,
          help: 'Requests delayed or failed, and health checks failed, by injected faults (game days).',
          labelNames: ['kind', 'fault'] as const,
          maxSeries: MAX_FAULT_SERIES,
          registry: target,
        }),
      Counter,
    ),
    active: reuseOrCreate(
      registry,
      FaultMetricNames.active,
      ['kind'],
      (target) =>
        new Gauge({
          name: FaultMetricNames.active,
          help: 'Injected faults active right now, by kind.',
          labelNames: ['kind'] as const,
          registry: target,
        }),
      Gauge,
    ),
  };
}

function reuseOrCreate<T extends Counter<string> | Gauge<string>>(
  registry: Registry,
  name: string,
  labelNames: readonly string[],
  create: (registry: Registry | false) => T,
  ctor: abstract new (...args: never[]) => T,
): T {
  const existing = registry.getSingleMetric(name);
  if (
    existing instanceof ctor &&
    existing.labelNames.length === labelNames.length &&
    existing.labelNames.every((label, i) => label === labelNames[i])
  ) {
    return existing;
  }
  if (existing === undefined) {
    try {
      return create(registry);
    } catch (err) {
      return unexposed(name, err, create);
    }
  }
  return unexposed(
    name,
    `a ${existing.type} with labels [${existing.labelNames.join(', ')}] holds the name`,
    create,
  );
}

function unexposed<T>(name: string, why: unknown, create: (registry: false) => T): T {
  diagWarn(
    { code: ErrorCodes.METRIC_ALREADY_REGISTERED, metric: name },
    `${name} could not be registered (${String(why)}); injected faults are counted but not ` +
      'exposed. Free the name in the registry passed to FaultInjector.',
  );
  return create(false);
}

/** The kinds, for zero-initialising the gauge. @internal */
export const FAULT_KINDS: readonly FaultKind[] = ['latency', 'error', 'dependency'];
