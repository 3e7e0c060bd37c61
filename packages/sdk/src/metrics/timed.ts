import { ErrorCodes, VigilError } from '@vigil/model';
import { Counter } from './counter.js';
import { Histogram } from './histogram.js';
import { defaultRegistry, type Registry } from './registry.js';

/** Options of {@link timed}. */
export interface TimedOptions {
  /** Registry of the two metrics (default: the default registry). */
  registry?: Registry;
  /** Histogram buckets in seconds (default: the default buckets). */
  buckets?: readonly number[];
  /** Help text prefix (default: the name). */
  help?: string;
}

function getOrCreate<T>(
  registry: Registry,
  name: string,
  ctor: abstract new (...args: never[]) => unknown,
  create: () => T,
): T {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) return create();
  if (!(existing instanceof ctor)) {
    throw new VigilError(
      ErrorCodes.METRIC_ALREADY_REGISTERED,
      `timed(): "${name}" is already registered as a ${existing.type}; choose another name.`,
    );
  }
  return existing as T;
}

/**
 * Wraps a sync or async function so that every call records its duration in
 * the histogram `<name>_duration_seconds` and counts it in
 * `<name>_total{status="success"|"error"}`. Errors (thrown or rejected) are
 * rethrown unchanged; the wrapper keeps `this` and the arguments.
 *
 * ```ts
 * const loadUser = timed('user_load', async (id: string) => db.get(id));
 * ```
 */
export function timed<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => R,
  options: TimedOptions = {},
): (...args: A) => R {
  const registry = options.registry ?? defaultRegistry;
  const help = options.help ?? name.replace(/_/g, ' ');
  const durationName = `${name}_duration_seconds`;
  const totalName = `${name}_total`;
  const duration = getOrCreate<Histogram>(
    registry,
    durationName,
    Histogram,
    () =>
      new Histogram({
        name: durationName,
        help: `Duration of ${help} in seconds.`,
        ...(options.buckets ? { buckets: options.buckets } : {}),
        registry,
      }),
  );
  const total = getOrCreate<Counter<'status'>>(
    registry,
    totalName,
    Counter,
    () =>
      new Counter({
        name: totalName,
        help: `Calls of ${help} by outcome.`,
        labelNames: ['status'],
        registry,
      }),
  );
  const durationChild = duration.labels();
  const success = total.labels('success');
  const failure = total.labels('error');

  return function timedCall(this: unknown, ...args: A): R {
    const start = performance.now();
    let result: R;
    try {
      result = fn.apply(this, args);
    } catch (err) {
      durationChild.observe((performance.now() - start) / 1000);
      failure.inc();
      throw err;
    }
    if (result !== null && typeof (result as { then?: unknown })?.then === 'function') {
      return (result as unknown as PromiseLike<unknown>).then(
        (value) => {
          durationChild.observe((performance.now() - start) / 1000);
          success.inc();
          return value;
        },
        (err: unknown) => {
          durationChild.observe((performance.now() - start) / 1000);
          failure.inc();
          throw err;
        },
      ) as R;
    }
    durationChild.observe((performance.now() - start) / 1000);
    success.inc();
    return result;
  };
}
