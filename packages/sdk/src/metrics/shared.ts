/**
 * Metrics that several SDK integrations (or several instances of one) share
 * in a registry: two instrumented servers in one process both count into
 * `http_requests_total`, two wrapped database pools into `db_queries_total`.
 */
import { ErrorCodes } from '@vigil/model';
import { diagWarn } from '../diag.js';
import type { AnyMetric, Registry } from './registry.js';

type AnyMetricClass<M> = abstract new (...args: never[]) => M;

/**
 * Returns the metric named `name` in `registry` when it is an instance of
 * `kind` with the same label names, else registers the one `create` builds.
 * When the name is taken by an incompatible metric, the integration keeps
 * working on an unregistered metric and a diagnostic warning says which
 * name to free: SDK integrations never throw into the host over a name.
 *
 * @param create builds the metric for the registry given (`false`: unregistered).
 */
export function sharedMetric<M extends AnyMetric>(
  registry: Registry,
  name: string,
  kind: AnyMetricClass<M>,
  labelNames: readonly string[],
  create: (registry: Registry | false) => M,
): M {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof kind && sameLabels(existing.labelNames, labelNames)) return existing;
  try {
    return create(registry);
  } catch (err) {
    diagWarn(
      { code: ErrorCodes.METRIC_ALREADY_REGISTERED, metric: name, err },
      `${name} could not be registered (${String(err)}); it is recorded but not exposed. ` +
        `Free the name, or register it as a ${kind.name} with labels [${labelNames.join(', ')}].`,
    );
    return create(false);
  }
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
