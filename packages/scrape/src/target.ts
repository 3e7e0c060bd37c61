/**
 * Targets from `static_configs`, with their labels built as Prometheus
 * builds them (its scrape/target.go `PopulateLabels`).
 *
 * @module
 */
import { formatDurationMs, isValidLabelName, parseDurationMs } from '@vigil/model';
import { labelValue, labelsKey } from '@vigil/storage';
import type { SeriesLabels } from '@vigil/storage';
import type { ScrapeConfig } from './config.js';
import { LabelsBuilder } from './labels-builder.js';
import { relabelBuilder } from './relabel.js';

/** One scrape target, ready to be scraped. Immutable. */
export interface Target {
  readonly job: string;
  /** The labels every series of the target gets: no `__`-prefixed names, `instance` set. Sorted. */
  readonly labels: SeriesLabels;
  /** Every label after relabelling, the `__`-prefixed ones included (except `__meta_*`). Sorted. */
  readonly internalLabels: SeriesLabels;
  /** The labels before relabelling (`__address__`, `job`, ...). Sorted. */
  readonly discoveredLabels: SeriesLabels;
  readonly scrapeUrl: string;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  /** Identity within the job: equal keys are the same target. */
  readonly key: string;
}

/** A target that relabelling dropped or that could not be built. */
export interface DroppedTarget {
  readonly job: string;
  readonly discoveredLabels: SeriesLabels;
  /** Why it was dropped: `relabelling` or a description of what was wrong. */
  readonly reason: string;
}

/** The result of {@link buildTargets}. */
export interface TargetSet {
  readonly targets: Target[];
  readonly dropped: DroppedTarget[];
}

/**
 * The labels a static target starts with: the group's labels, `__address__`,
 * then `job`, `__scrape_interval__`, `__scrape_timeout__`,
 * `__metrics_path__`, `__scheme__` and `__param_<name>` unless the group set
 * them already.
 */
export function discoveredLabels(
  config: ScrapeConfig,
  address: string,
  groupLabels: Readonly<Record<string, string>>,
): LabelsBuilder {
  const lb = new LabelsBuilder();
  for (const name of Object.keys(groupLabels)) lb.set(name, groupLabels[name]!);
  lb.set('__address__', address);
  const defaults: [string, string][] = [
    ['job', config.jobName],
    ['__scrape_interval__', formatDurationMs(config.scrapeIntervalMs)],
    ['__scrape_timeout__', formatDurationMs(config.scrapeTimeoutMs)],
    ['__metrics_path__', config.metricsPath],
    ['__scheme__', config.scheme],
  ];
  for (const [name, value] of defaults) if (lb.get(name) === '') lb.set(name, value);
  for (const name of Object.keys(config.params)) {
    const first = config.params[name]![0];
    if (first !== undefined && lb.get(`__param_${name}`) === '') lb.set(`__param_${name}`, first);
  }
  return lb;
}

function scrapeUrl(config: ScrapeConfig, labels: SeriesLabels): string {
  const params = new Map<string, string[]>();
  for (const name of Object.keys(config.params)) params.set(name, [...config.params[name]!]);
  for (let i = 0; i < labels.length; i += 2) {
    const name = labels[i]!;
    if (!name.startsWith('__param_')) continue;
    const key = name.slice('__param_'.length);
    const values = params.get(key);
    if (values !== undefined && values.length > 0) values[0] = labels[i + 1]!;
    else params.set(key, [labels[i + 1]!]);
  }
  const search = new URLSearchParams();
  for (const [key, values] of params) for (const v of values) search.append(key, v);
  const query = search.toString();
  const scheme = labelValue(labels, '__scheme__');
  const path = labelValue(labels, '__metrics_path__');
  return `${scheme}://${labelValue(labels, '__address__')}${path}${query === '' ? '' : '?' + query}`;
}

/**
 * Builds the targets of a job from its static configs: discovered labels,
 * `relabel_configs`, checks, `instance` defaulting to `__address__`,
 * `__meta_*` labels removed, duplicates (equal labels) merged.
 */
export function buildTargets(config: ScrapeConfig): TargetSet {
  const targets: Target[] = [];
  const dropped: DroppedTarget[] = [];
  const seen = new Set<string>();
  for (const group of config.staticConfigs) {
    for (const address of group.targets) {
      const lb = discoveredLabels(config, address, group.labels);
      const discovered = lb.labels();
      const drop = (reason: string): void => {
        dropped.push({ job: config.jobName, discoveredLabels: discovered, reason });
      };
      if (!relabelBuilder(lb, config.relabelConfigs)) {
        drop('relabelling');
        continue;
      }
      const addr = lb.get('__address__');
      if (addr === '') {
        drop('no __address__ label after relabelling');
        continue;
      }
      if (addr.includes('/')) {
        drop(`${JSON.stringify(addr)} is not a valid host:port address`);
        continue;
      }
      const scheme = lb.get('__scheme__');
      if (scheme !== 'http' && scheme !== 'https') {
        drop(`unsupported __scheme__ ${JSON.stringify(scheme)}; expected http or https`);
        continue;
      }
      let intervalMs: number;
      let timeoutMs: number;
      try {
        intervalMs = parseDurationMs(lb.get('__scrape_interval__'));
        timeoutMs = parseDurationMs(lb.get('__scrape_timeout__'));
      } catch (err) {
        drop(`invalid __scrape_interval__ or __scrape_timeout__: ${(err as Error).message}`);
        continue;
      }
      if (intervalMs <= 0 || timeoutMs <= 0 || timeoutMs > intervalMs) {
        drop('__scrape_timeout__ must be positive and no longer than __scrape_interval__');
        continue;
      }
      for (const name of lb.nameList()) if (name.startsWith('__meta_')) lb.del(name);
      if (lb.get('instance') === '') lb.set('instance', addr);
      const internal = lb.labels();
      const bad = lb.nameList().find((n) => !isValidLabelName(n));
      if (bad !== undefined) {
        drop(`invalid label name ${JSON.stringify(bad)}`);
        continue;
      }
      const key = labelsKey(internal);
      if (seen.has(key)) continue;
      seen.add(key);
      const visible: string[] = [];
      for (let i = 0; i < internal.length; i += 2) {
        if (!internal[i]!.startsWith('__')) visible.push(internal[i]!, internal[i + 1]!);
      }
      let url: string;
      try {
        url = new URL(scrapeUrl(config, internal)).href;
      } catch {
        drop(`cannot build a valid URL from ${JSON.stringify(addr)}`);
        continue;
      }
      targets.push({
        job: config.jobName,
        labels: visible,
        internalLabels: internal,
        discoveredLabels: discovered,
        scrapeUrl: url,
        scrapeIntervalMs: intervalMs,
        scrapeTimeoutMs: timeoutMs,
        key,
      });
    }
  }
  return { targets, dropped };
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv1a32(text: string, seed = 0x811c9dc5): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The target's phase within its interval in ms: a deterministic function of
 * its labels, URL and `seed`, so that targets spread over the interval and a
 * target keeps its phase across restarts and reloads, as in Prometheus.
 */
export function scrapeOffsetMs(target: Target, intervalMs: number, seed: number): number {
  const h = fnv1a32(target.scrapeUrl, fnv1a32(target.key)) ^ seed;
  return (h >>> 0) % intervalMs;
}
