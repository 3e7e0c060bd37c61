/**
 * The data set of the PromQL side-by-side benchmark: an HTTP service's RED
 * metrics, scraped from `instances` targets every 15 s for some hours,
 * generated deterministically from a seed. Per target and route:
 *
 * - `http_request_duration_seconds_bucket` with 12 `le` buckets (classic
 *   histogram; latency log-normal with a per-route median), plus its `_sum`
 *   and `_count`;
 * - `http_requests_total` for 10 status codes (shares per route; a few
 *   routes have an incident window with more 5xx);
 * - `http_requests_in_flight`, a gauge.
 *
 * That is 25 series per target and route: 10 targets × 40 routes = 10,000
 * series. Traffic follows a slow wave with noise; counters reset only when a
 * target restarts (two targets restart once each, at random times).
 *
 * Each target scrapes at its own offset within the interval, with a few ms
 * of jitter, as Prometheus spreads its scrapes; so no sample lies on a
 * multiple of the interval from the start, where a query's step grid and its
 * range windows fall. That keeps the answers independent of whether a
 * window is closed on the left (Prometheus 2) or open (Prometheus 3).
 *
 * Values are held series-major in one `Float64Array` (about 115 MB for
 * 14.4 million samples); timestamps once per target.
 */
import type { SeriesLabels } from '@vigil/storage';
import { seededRandom } from '@vigil/testing';

/** Bucket bounds of the histogram, as the `le` label spells them. */
export const LE_BOUNDS = [
  '0.005',
  '0.01',
  '0.025',
  '0.05',
  '0.1',
  '0.25',
  '0.5',
  '1',
  '2.5',
  '5',
  '10',
  '+Inf',
] as const;

/** Status codes of `http_requests_total` with their usual share of traffic. */
const STATUSES: readonly (readonly [string, number])[] = [
  ['200', 0.78],
  ['201', 0.06],
  ['204', 0.04],
  ['301', 0.01],
  ['304', 0.03],
  ['400', 0.03],
  ['401', 0.015],
  ['404', 0.025],
  ['500', 0.006],
  ['503', 0.004],
];

/** Series per target and route: buckets, `_sum`, `_count`, statuses, in-flight gauge. */
export const SERIES_PER_ROUTE = LE_BOUNDS.length + 2 + STATUSES.length + 1;

/** Options of {@link generateDataset}. */
export interface DatasetOptions {
  /** Seed of the generator; the same seed gives the same data. */
  readonly seed: number;
  /** Scrape targets (`instance` label values). */
  readonly instances: number;
  /** Routes per target (`route` label values). */
  readonly routes: number;
  /** Start of the data, ms since the epoch; samples lie in `(startMs, startMs + durationMs)`. */
  readonly startMs: number;
  /** Length of the data, ms. */
  readonly durationMs: number;
  /** Scrape interval, ms. */
  readonly intervalMs: number;
}

/** One series of the data set. */
export interface DatasetSeries {
  /** Sorted flat `[name, value, ...]` labels including `__name__`. */
  readonly labels: SeriesLabels;
  /** The series as OpenMetrics/PromQL writes it, `name{a="b",...}`. */
  readonly text: string;
  /** Index of its target in {@link Dataset.timestampsMs}. */
  readonly instance: number;
}

/** The generated data: series, their samples and the scrape times. */
export interface Dataset {
  readonly options: DatasetOptions;
  readonly series: readonly DatasetSeries[];
  /** Samples per series. */
  readonly samplesPerSeries: number;
  /** `values[i * samplesPerSeries + k]`: sample k of series i. */
  readonly values: Float64Array;
  /** `timestampsMs[instance * samplesPerSeries + k]`: scrape k of a target, integer ms. */
  readonly timestampsMs: Float64Array;
  /** Label values of the metrics, for building queries. */
  readonly instanceNames: readonly string[];
  readonly routeNames: readonly string[];
  /** Times at which a target restarted (its counters reset), ms. */
  readonly restarts: readonly { readonly instance: string; readonly atMs: number }[];
}

/** Formats integer ms as OpenMetrics seconds with exactly three decimals. */
export function formatSeconds(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const rest = ms - seconds * 1000;
  return `${seconds}.${rest < 10 ? '00' : rest < 100 ? '0' : ''}${rest}`;
}

/**
 * True when a parser that reads `text` as float seconds and multiplies by
 * 1000 gets `ms` back whether it truncates or rounds (promtool parses
 * OpenMetrics timestamps that way), so both stores hold the same times.
 */
function exactInSeconds(ms: number): boolean {
  const back = Number(formatSeconds(ms)) * 1000;
  return Math.trunc(back) === ms && Math.round(back) === ms;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf; error below 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

function seriesText(labels: SeriesLabels): string {
  let out = labels[1]!;
  const parts: string[] = [];
  for (let i = 2; i < labels.length; i += 2) parts.push(`${labels[i]}="${labels[i + 1]}"`);
  out += `{${parts.join(',')}}`;
  return out;
}

function makeSeries(name: string, pairs: readonly (readonly [string, string])[]): SeriesLabels {
  const sorted = [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out = ['__name__', name];
  for (const [k, v] of sorted) out.push(k, v);
  return out;
}

/**
 * Generates the data set. Deterministic for given options; takes about a
 * second for 14.4 million samples.
 */
export function generateDataset(options: DatasetOptions): Dataset {
  const { instances, routes, startMs, durationMs, intervalMs } = options;
  const random = seededRandom(options.seed);
  const samplesPerSeries = Math.floor(durationMs / intervalMs);
  const instanceNames = Array.from({ length: instances }, (_, i) => `api-${i}:8080`);
  const routeNames = Array.from(
    { length: routes },
    (_, r) => `/api/v1/${['users', 'orders', 'items', 'carts', 'search'][r % 5]}/r${r}`,
  );

  // Series, grouped by target and route in blocks of SERIES_PER_ROUTE.
  const series: DatasetSeries[] = [];
  for (let inst = 0; inst < instances; inst++) {
    for (let r = 0; r < routes; r++) {
      const base: [string, string][] = [
        ['job', 'api'],
        ['instance', instanceNames[inst]!],
        ['route', routeNames[r]!],
      ];
      const add = (name: string, extra: [string, string][] = []): void => {
        const labels = makeSeries(name, [...base, ...extra]);
        series.push({ labels, text: seriesText(labels), instance: inst });
      };
      for (const le of LE_BOUNDS) add('http_request_duration_seconds_bucket', [['le', le]]);
      add('http_request_duration_seconds_sum');
      add('http_request_duration_seconds_count');
      for (const [status] of STATUSES) add('http_requests_total', [['status', status]]);
      add('http_requests_in_flight');
    }
  }

  // Scrape times: a per-target offset in the interval and a little jitter.
  const timestampsMs = new Float64Array(instances * samplesPerSeries);
  for (let inst = 0; inst < instances; inst++) {
    const offset = 1000 + Math.floor(random() * (intervalMs - 2000));
    for (let k = 0; k < samplesPerSeries; k++) {
      let t = startMs + k * intervalMs + offset + Math.floor(random() * 40) - 20;
      while (!exactInSeconds(t)) t++;
      timestampsMs[inst * samplesPerSeries + k] = t;
    }
  }

  // Per-route shapes: traffic, latency median, incident window.
  const routeRate = Array.from({ length: routes }, () => 2 + random() * 60); // requests/s per target
  const routeMedianSeconds = Array.from({ length: routes }, () => 0.008 * Math.exp(random() * 3.5));
  const sigma = 0.7;
  const bucketFraction = Array.from({ length: routes }, (_, r) =>
    LE_BOUNDS.map((le) =>
      le === '+Inf' ? 1 : normalCdf(Math.log(Number(le) / routeMedianSeconds[r]!) / sigma),
    ),
  );
  const meanSeconds = routeMedianSeconds.map((m) => m * Math.exp((sigma * sigma) / 2));
  const incidents = Array.from({ length: routes }, () => {
    if (random() > 0.15) return undefined;
    const from = Math.floor(random() * samplesPerSeries);
    return { from, to: from + 40 + Math.floor(random() * 200), errorShare: 0.05 + random() * 0.3 };
  });
  const instanceFactor = Array.from({ length: instances }, () => 0.7 + random() * 0.6);
  const restarts: { instance: string; atMs: number }[] = [];
  const restartAt = new Int32Array(instances).fill(-1);
  for (let n = 0; n < Math.min(2, instances); n++) {
    const inst = Math.floor(random() * instances);
    if (restartAt[inst] !== -1) continue;
    const k = 20 + Math.floor(random() * Math.max(1, samplesPerSeries - 40));
    restartAt[inst] = k;
    restarts.push({
      instance: instanceNames[inst]!,
      atMs: timestampsMs[inst * samplesPerSeries + k]!,
    });
  }

  const values = new Float64Array(series.length * samplesPerSeries);
  const periodSamples = Math.max(1, samplesPerSeries * 0.8);
  for (let inst = 0; inst < instances; inst++) {
    for (let r = 0; r < routes; r++) {
      const first = (inst * routes + r) * SERIES_PER_ROUTE;
      const buckets = new Float64Array(LE_BOUNDS.length);
      const statuses = new Float64Array(STATUSES.length);
      let sum = 0;
      let count = 0;
      const phase = random() * Math.PI * 2;
      const fractions = bucketFraction[r]!;
      const incident = incidents[r];
      for (let k = 0; k < samplesPerSeries; k++) {
        if (k === restartAt[inst]) {
          buckets.fill(0);
          statuses.fill(0);
          sum = 0;
          count = 0;
        }
        const wave = 1 + 0.35 * Math.sin(phase + (2 * Math.PI * k) / periodSamples);
        const perSecond = routeRate[r]! * instanceFactor[inst]! * wave * (0.85 + 0.3 * random());
        const n = Math.floor(perSecond * (intervalMs / 1000) + random());
        const u = random();
        for (let b = 0; b < buckets.length; b++) buckets[b]! += Math.floor(n * fractions[b]! + u);
        count += n;
        sum += n * meanSeconds[r]! * (0.9 + 0.2 * random());
        const inIncident = incident !== undefined && k >= incident.from && k < incident.to;
        for (let s = 0; s < STATUSES.length; s++) {
          let share = STATUSES[s]![1];
          if (inIncident)
            share = s >= 8 ? incident.errorShare / 2 : share * (1 - incident.errorShare);
          statuses[s]! += Math.floor(n * share + random());
        }
        let i = first;
        for (let b = 0; b < buckets.length; b++) values[i++ * samplesPerSeries + k] = buckets[b]!;
        values[i++ * samplesPerSeries + k] = sum;
        values[i++ * samplesPerSeries + k] = count;
        for (let s = 0; s < statuses.length; s++) values[i++ * samplesPerSeries + k] = statuses[s]!;
        values[i * samplesPerSeries + k] = Math.floor(perSecond * meanSeconds[r]! * 2 * random());
      }
    }
  }
  return {
    options,
    series,
    samplesPerSeries,
    values,
    timestampsMs,
    instanceNames,
    routeNames,
    restarts,
  };
}
