/**
 * Health state as Prometheus gauges. Names and encodings:
 *
 * - `vigil_health_dependency_up{dependency,critical}`: 1 when the last check
 *   of the dependency passed, 0 when it failed or timed out. `critical` is
 *   `"true"` or `"false"`.
 * - `vigil_health_check_duration_seconds{dependency}`: how long the last check
 *   took, in seconds (the timeout when it timed out).
 * - `vigil_health_status{status}`: a state set, one series per status
 *   (`healthy`, `degraded`, `unhealthy`); the current one is 1, the others 0.
 *   Alert with `vigil_health_status{status="unhealthy"} == 1`. This is clearer
 *   than one gauge with 1 / 0.5 / 0, which needs a lookup table to read and
 *   cannot be summed or counted by state.
 *
 * Values are updated when a run of checks finishes, not at scrape time.
 */
import { ErrorCodes, VigilError } from '@vigil/model';
import { Gauge } from '../metrics/index.js';
import type { Registry } from '../metrics/index.js';
import type { HealthReport, HealthStatus } from './registry.js';

/** Metric names exported by the health registry. */
export const HealthMetricNames = {
  dependencyUp: 'vigil_health_dependency_up',
  checkDurationSeconds: 'vigil_health_check_duration_seconds',
  status: 'vigil_health_status',
} as const;

const STATUSES: readonly HealthStatus[] = ['healthy', 'degraded', 'unhealthy'];

type UpLabels = 'dependency' | 'critical';
type DurationLabels = 'dependency';
type StatusLabels = 'status';

/**
 * The three health gauges in one metrics registry. Several health registries
 * sharing a metrics registry share these gauges (the second one finds them
 * with `getSingleMetric` instead of registering them again); dependency
 * names should then be distinct, and `vigil_health_status` shows whichever
 * ran last. Used by {@link HealthRegistry}; not part of the public surface.
 */
export class HealthMetrics {
  readonly #up: Gauge<UpLabels>;
  readonly #duration: Gauge<DurationLabels>;
  readonly #status: Gauge<StatusLabels>;

  private constructor(registry: Registry) {
    this.#up = gauge(
      registry,
      HealthMetricNames.dependencyUp,
      'Whether the last health check of a dependency passed (1) or failed (0).',
      ['dependency', 'critical'] as const,
    );
    this.#duration = gauge(
      registry,
      HealthMetricNames.checkDurationSeconds,
      'How long the last health check of a dependency took, in seconds.',
      ['dependency'] as const,
    );
    this.#status = gauge(
      registry,
      HealthMetricNames.status,
      'Overall health of the service: the series of the current status is 1, the others 0.',
      ['status'] as const,
    );
  }

  /** Finds or creates the health gauges in `registry`. */
  static for(registry: Registry): HealthMetrics {
    return new HealthMetrics(registry);
  }

  /** Sets every gauge from a finished report. */
  record(report: HealthReport): void {
    for (const [dependency, dep] of Object.entries(report.dependencies)) {
      this.#up.set({ dependency, critical: String(dep.critical) }, dep.status === 'up' ? 1 : 0);
      this.#duration.set({ dependency }, dep.latency_ms / 1000);
    }
    for (const status of STATUSES) {
      this.#status.set({ status }, status === report.status ? 1 : 0);
    }
  }

  /** Removes the series of a dependency that was unregistered. */
  forget(dependency: string, critical: boolean): void {
    this.#up.remove({ dependency, critical: String(critical) });
    this.#duration.remove({ dependency });
  }
}

function gauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) return new Gauge<L>({ name, help, labelNames, registry });
  if (
    existing instanceof Gauge &&
    existing.labelNames.length === labelNames.length &&
    labelNames.every((l, i) => existing.labelNames[i] === l)
  ) {
    return existing as Gauge<L>;
  }
  throw new VigilError(
    ErrorCodes.METRIC_ALREADY_REGISTERED,
    `Metric "${name}" is already registered with another type or other labels; the health ` +
      `registry needs it as a gauge with labels [${labelNames.join(', ')}]. Rename the other ` +
      `metric or give the health registry its own metrics registry.`,
    { details: { metric: name } },
  );
}
