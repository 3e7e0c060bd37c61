/**
 * Game-day scenarios: the YAML format of `vigil gameday run`, its validation
 * (zod; errors name the file and the path in it) and the resolution of each
 * target's URLs and admin token (literal, environment variable or a JSON file
 * such as the demo's `.vigil-data/demo.json`).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ErrorCodes, VigilError } from '@vigil/model';
import type { FaultSpec, LatencyDistribution } from '@vigil/sdk';
import { durationString, invalidDocument } from '../yaml-schema.js';

/** The settle time added after the last fault when `duration` is omitted, ms. */
export const DEFAULT_SETTLE_MS = 30_000;

/** A value given literally, by environment variable or read from a JSON file's field. */
export type ValueSource<T> =
  | { readonly kind: 'literal'; readonly value: T }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly file: string; readonly field: string };

/** A named service whose instances take faults through the SDK's admin endpoint. */
export interface ScenarioTarget {
  readonly name: string;
  /** Base URLs of the instances (no trailing slash once resolved). */
  readonly urls: ValueSource<readonly string[]>;
  /** The admin bearer token (`VIGIL_FAULTS_TOKEN` of the instances). */
  readonly token: ValueSource<string>;
  /** Admin endpoint path; default `/_vigil/faults`. */
  readonly adminPath: string;
}

/** One fault of a scenario; it becomes one SDK fault per instance, route and method. */
export interface ScenarioFault {
  /** Position in `faults`, for ids and messages. */
  readonly index: number;
  readonly target: string;
  readonly kind: 'error' | 'latency' | 'dependency';
  /** Offset from the run's start, ms. */
  readonly startMs: number;
  /** How long the runner keeps it, ms. */
  readonly durationMs: number;
  /** Route templates; empty = every route. */
  readonly routes: readonly string[];
  /** HTTP methods; empty = every method. */
  readonly methods: readonly string[];
  /** Which instances (indexes into the target's URLs); undefined = all. */
  readonly instances: readonly number[] | undefined;
  /** The kind's parameters, as the SDK's FaultSpec wants them (without id, scope or durationMs). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly description: string | undefined;
}

/** What an expectation checks. */
export type Expectation =
  | {
      readonly type: 'alert-fires';
      readonly alert: string;
      readonly labels: Readonly<Record<string, string>>;
      /** Longest time from the first fault's start to the first firing, ms. */
      readonly withinMs: number;
    }
  | {
      readonly type: 'alert-quiet';
      readonly alert: string;
      readonly labels: Readonly<Record<string, string>>;
    }
  | {
      readonly type: 'budget-remaining';
      readonly slo: string;
      readonly above: number | undefined;
      readonly below: number | undefined;
      /** `throughout`: every observation; `end`: the last one. */
      readonly at: 'throughout' | 'end';
    }
  | {
      readonly type: 'budget-consumed';
      readonly slo: string;
      /** Share of the budget spent during the run (remaining at start − at end), inclusive bounds. */
      readonly min: number;
      readonly max: number;
    };

/** A validated scenario. */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Where it was read from (for messages and the report). */
  readonly source: string;
  /**
   * The Vigil server from the file (a URL, or read from the environment or a
   * JSON file); undefined = `VIGIL_URL` or the default. `--server` wins.
   */
  readonly server: ValueSource<string> | undefined;
  readonly targets: ReadonlyMap<string, ScenarioTarget>;
  readonly faults: readonly ScenarioFault[];
  readonly expectations: readonly Expectation[];
  /** Length of the whole run, ms. */
  readonly durationMs: number;
  /** Offset of the first fault's start, ms: the reference of detection times. */
  readonly firstFaultStartMs: number;
}

const fraction = z.number().min(0).max(1);
const labelsSchema = z.record(z.string().min(1), z.string());

const fromSource = z
  .object({
    env: z.string().min(1).optional(),
    file: z.string().min(1).optional(),
    field: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => (s.env === undefined) !== (s.file === undefined), {
    message: 'give exactly one of "env" (a variable name) or "file" (a JSON file, with "field")',
  });

const targetSchema = z
  .object({
    url: z.url().optional(),
    urls: z.union([z.array(z.url()).min(1), fromSource]).optional(),
    token: z.union([z.string().min(1), fromSource]),
    adminPath: z.string().startsWith('/').optional(),
  })
  .strict()
  .refine((t) => (t.url === undefined) !== (t.urls === undefined), {
    message: 'give exactly one of "url" or "urls"',
  });

const scopeSchema = z
  .object({
    routes: z.array(z.string().min(1)).min(1).optional(),
    methods: z
      .array(z.string().regex(/^[A-Za-z]{1,20}$/, 'expected an HTTP method such as "GET"'))
      .min(1)
      .optional(),
  })
  .strict();

const distributionSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('uniform'),
      min: durationString('delay'),
      max: durationString('delay'),
    })
    .strict(),
  z
    .object({
      type: z.literal('normal'),
      mean: durationString('delay'),
      stddev: durationString('delay'),
    })
    .strict(),
  z.object({ type: z.literal('exponential'), mean: durationString('delay') }).strict(),
]);

const faultCommon = {
  target: z.string().min(1),
  start: durationString('start offset'),
  duration: durationString('duration'),
  scope: scopeSchema.optional(),
  instances: z.array(z.number().int().min(0)).min(1).optional(),
  description: z.string().max(400).optional(),
};

const faultSchema = z.discriminatedUnion('kind', [
  z
    .object({
      ...faultCommon,
      kind: z.literal('error'),
      status: z.number().int().min(400).max(599).default(503),
      rate: z.number().gt(0).max(1).optional(),
    })
    .strict(),
  z
    .object({
      ...faultCommon,
      kind: z.literal('latency'),
      delay: durationString('delay').optional(),
      distribution: distributionSchema.optional(),
      rate: z.number().gt(0).max(1).optional(),
    })
    .strict()
    .refine((f) => (f.delay === undefined) !== (f.distribution === undefined), {
      message: 'a latency fault needs exactly one of "delay" (fixed) or "distribution"',
    }),
  z
    .object({
      ...faultCommon,
      kind: z.literal('dependency'),
      dependency: z.string().min(1),
      message: z.string().min(1).max(200).optional(),
    })
    .strict(),
]);

const expectationSchema = z.union([
  z
    .object({
      alert: z.string().min(1),
      labels: labelsSchema.optional(),
      fires: z.union([z.literal(false), z.object({ within: durationString('duration') }).strict()]),
    })
    .strict(),
  z
    .object({
      slo: z.string().min(1),
      budgetRemaining: z
        .object({
          above: fraction.optional(),
          below: fraction.optional(),
          at: z.enum(['throughout', 'end']).default('throughout'),
        })
        .strict()
        .refine((b) => b.above !== undefined || b.below !== undefined, {
          message: 'give "above" and/or "below" (fractions of the budget, 0 to 1)',
        }),
    })
    .strict(),
  z
    .object({
      slo: z.string().min(1),
      budgetConsumed: z
        .object({ between: z.tuple([z.number(), z.number()]) })
        .strict()
        .refine((b) => b.between[0] <= b.between[1], {
          message: 'expected [low, high] with low <= high',
        }),
    })
    .strict(),
]);

const scenarioSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1 to 64 letters, digits, "_", "-" or "."'),
    description: z.string().default(''),
    server: z.union([z.url(), fromSource]).optional(),
    duration: durationString('duration').optional(),
    settle: durationString('settle time').optional(),
    targets: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,40}$/), targetSchema),
    faults: z.array(faultSchema).min(1),
    expectations: z.array(expectationSchema).default([]),
  })
  .strict();

function invalid(source: string, path: string, message: string): VigilError {
  return new VigilError(ErrorCodes.GAMEDAY_SCENARIO_INVALID, `${source}: ${path}: ${message}.`, {
    details: { source, path },
  });
}

function source<T>(raw: T | { env?: string; file?: string; field?: string }, field: string) {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const s = raw as { env?: string; file?: string; field?: string };
    if (s.env !== undefined) return { kind: 'env' as const, name: s.env };
    return { kind: 'file' as const, file: s.file ?? '', field: s.field ?? field };
  }
  return { kind: 'literal' as const, value: raw };
}

/**
 * Validates a scenario document (parsed YAML). `source` names it in errors.
 *
 * @throws VigilError `GAMEDAY_SCENARIO_INVALID` naming `source` and the path
 *   (`faults[1].start`); `details.issues` lists every problem found.
 */
export function parseScenario(document: unknown, source_: string): Scenario {
  const result = scenarioSchema.safeParse(document ?? {});
  if (!result.success) {
    throw invalidDocument(ErrorCodes.GAMEDAY_SCENARIO_INVALID, source_, result.error);
  }
  const f = result.data;
  const targets = new Map<string, ScenarioTarget>();
  for (const [name, t] of Object.entries(f.targets)) {
    targets.set(name, {
      name,
      urls:
        t.url !== undefined
          ? { kind: 'literal', value: [t.url.replace(/\/+$/, '')] }
          : source<readonly string[]>(t.urls ?? [], 'instances'),
      token: source<string>(t.token, 'token'),
      adminPath: t.adminPath ?? '/_vigil/faults',
    });
  }
  const faults: ScenarioFault[] = f.faults.map((raw, index) => {
    if (!targets.has(raw.target)) {
      throw invalid(
        source_,
        `faults[${index}].target`,
        `unknown target ${JSON.stringify(raw.target)}; the scenario defines ${[...targets.keys()].map((k) => JSON.stringify(k)).join(', ') || 'none'}`,
      );
    }
    if (raw.duration <= 0) {
      throw invalid(source_, `faults[${index}].duration`, 'expected a duration above 0');
    }
    const params: Record<string, unknown> = {};
    switch (raw.kind) {
      case 'error':
        params.status = raw.status;
        if (raw.rate !== undefined) params.rate = raw.rate;
        break;
      case 'latency': {
        if (raw.delay !== undefined) params.delayMs = raw.delay;
        if (raw.distribution !== undefined) params.distribution = distribution(raw.distribution);
        if (raw.rate !== undefined) params.rate = raw.rate;
        break;
      }
      case 'dependency':
        params.dependency = raw.dependency;
        if (raw.message !== undefined) params.message = raw.message;
        break;
    }
    if (raw.kind === 'dependency' && raw.scope !== undefined) {
      throw invalid(
        source_,
        `faults[${index}].scope`,
        'a dependency fault has no request scope (it fails a health check)',
      );
    }
    return {
      index,
      target: raw.target,
      kind: raw.kind,
      startMs: raw.start,
      durationMs: raw.duration,
      routes: raw.scope?.routes ?? [],
      methods: (raw.scope?.methods ?? []).map((m) => m.toUpperCase()),
      instances: raw.instances,
      params,
      description: raw.description,
    };
  });
  const lastFaultEndMs = Math.max(...faults.map((x) => x.startMs + x.durationMs));
  const firstFaultStartMs = Math.min(...faults.map((x) => x.startMs));
  const durationMs = f.duration ?? lastFaultEndMs + (f.settle ?? DEFAULT_SETTLE_MS);
  if (durationMs < lastFaultEndMs) {
    throw invalid(
      source_,
      'duration',
      `the run (${f.duration}ms) ends before the last fault does (${lastFaultEndMs}ms after the start); lengthen it or omit it`,
    );
  }
  const expectations: Expectation[] = f.expectations.map((e, i): Expectation => {
    if ('alert' in e) {
      if (e.fires === false) {
        return { type: 'alert-quiet', alert: e.alert, labels: e.labels ?? {} };
      }
      if (firstFaultStartMs + e.fires.within > durationMs) {
        throw invalid(
          source_,
          `expectations[${i}].fires.within`,
          `${e.fires.within / 1000}s after the first fault goes past the end of the run (${(durationMs - firstFaultStartMs) / 1000}s after it); lengthen "duration" or shorten "within"`,
        );
      }
      return {
        type: 'alert-fires',
        alert: e.alert,
        labels: e.labels ?? {},
        withinMs: e.fires.within,
      };
    }
    if ('budgetRemaining' in e) {
      return {
        type: 'budget-remaining',
        slo: e.slo,
        above: e.budgetRemaining.above,
        below: e.budgetRemaining.below,
        at: e.budgetRemaining.at,
      };
    }
    return {
      type: 'budget-consumed',
      slo: e.slo,
      min: e.budgetConsumed.between[0],
      max: e.budgetConsumed.between[1],
    };
  });
  return {
    name: f.name,
    description: f.description,
    source: source_,
    server: f.server === undefined ? undefined : source<string>(f.server, 'server'),
    targets,
    faults,
    expectations,
    durationMs,
    firstFaultStartMs,
  };
}

function distribution(d: z.infer<typeof distributionSchema>): LatencyDistribution {
  switch (d.type) {
    case 'uniform':
      return { type: 'uniform', minMs: d.min, maxMs: d.max };
    case 'normal':
      return { type: 'normal', meanMs: d.mean, stddevMs: d.stddev };
    case 'exponential':
      return { type: 'exponential', meanMs: d.mean };
  }
}

/**
 * Reads and validates a scenario file.
 *
 * @throws VigilError `GAMEDAY_SCENARIO_INVALID` for an unreadable file, bad
 *   YAML or a rule broken (file and path in the message).
 */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new VigilError(
      ErrorCodes.GAMEDAY_SCENARIO_INVALID,
      `${file}: cannot read the scenario (${err instanceof Error ? err.message : String(err)}).`,
      { cause: err, details: { source: file, path: '' } },
    );
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new VigilError(
      ErrorCodes.GAMEDAY_SCENARIO_INVALID,
      `${file}: not valid YAML (${err instanceof Error ? err.message : String(err)}).`,
      { cause: err, details: { source: file, path: '' } },
    );
  }
  return parseScenario(document, file);
}

/** A target with its URLs and token known. */
export interface ResolvedTarget {
  readonly name: string;
  readonly urls: readonly string[];
  readonly token: string;
  readonly adminPath: string;
}

function resolveValue<T>(
  src: ValueSource<T>,
  what: string,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  check: (v: unknown) => v is T,
  fromEnv: (text: string) => T,
): T {
  switch (src.kind) {
    case 'literal':
      return src.value;
    case 'env': {
      const v = env[src.name];
      if (v === undefined || v === '') {
        throw new VigilError(
          ErrorCodes.GAMEDAY_SCENARIO_INVALID,
          `${what}: the environment variable ${src.name} is not set.`,
        );
      }
      return fromEnv(v);
    }
    case 'file': {
      const path = resolve(cwd, src.file);
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(path, 'utf8'));
      } catch (err) {
        throw new VigilError(
          ErrorCodes.GAMEDAY_SCENARIO_INVALID,
          `${what}: cannot read ${path} as JSON (${err instanceof Error ? err.message : String(err)}); is the demo running (npm start)?`,
          { cause: err },
        );
      }
      const v =
        typeof doc === 'object' && doc !== null
          ? (doc as Record<string, unknown>)[src.field]
          : undefined;
      if (!check(v)) {
        throw new VigilError(
          ErrorCodes.GAMEDAY_SCENARIO_INVALID,
          `${what}: ${path} has no usable field ${JSON.stringify(src.field)}.`,
        );
      }
      return v;
    }
  }
}

/**
 * Resolves every target's URLs and token from literals, the environment or
 * JSON files (paths relative to `cwd`).
 *
 * @throws VigilError `GAMEDAY_SCENARIO_INVALID` when a variable is unset or a
 *   file is missing or lacks the field.
 */
export function resolveTargets(
  scenario: Scenario,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): ReadonlyMap<string, ResolvedTarget> {
  const out = new Map<string, ResolvedTarget>();
  for (const t of scenario.targets.values()) {
    const where = `${scenario.source}: targets.${t.name}`;
    const urls = resolveValue(
      t.urls,
      `${where}.urls`,
      env,
      cwd,
      (v): v is readonly string[] =>
        Array.isArray(v) && v.length > 0 && v.every((u) => typeof u === 'string'),
      (text) => text.split(/[\s,]+/).filter((u) => u !== ''),
    ).map((u) => u.replace(/\/+$/, ''));
    const token = resolveValue(
      t.token,
      `${where}.token`,
      env,
      cwd,
      (v): v is string => typeof v === 'string' && v !== '',
      (text) => text,
    );
    out.set(t.name, { name: t.name, urls, token, adminPath: t.adminPath });
  }
  for (const f of scenario.faults) {
    const t = out.get(f.target)!;
    for (const i of f.instances ?? []) {
      if (i >= t.urls.length) {
        throw new VigilError(
          ErrorCodes.GAMEDAY_SCENARIO_INVALID,
          `${scenario.source}: faults[${f.index}].instances: instance ${i} does not exist; target ${f.target} has ${t.urls.length} URL(s) (indexes from 0).`,
        );
      }
    }
  }
  return out;
}

/**
 * The scenario's server URL (literal, environment variable or JSON file;
 * relative to `cwd`), or undefined when the scenario names none.
 *
 * @throws VigilError `GAMEDAY_SCENARIO_INVALID` when the variable or file is missing.
 */
export function resolveServer(
  scenario: Scenario,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string | undefined {
  if (scenario.server === undefined) return undefined;
  return resolveValue(
    scenario.server,
    `${scenario.source}: server`,
    env,
    cwd,
    (v): v is string => typeof v === 'string' && /^https?:\/\//.test(v),
    (text) => text,
  ).replace(/\/+$/, '');
}

/** One SDK fault the runner injects: a scenario fault on one instance, route and method. */
export interface PlannedFault {
  /** Index of the scenario fault. */
  readonly faultIndex: number;
  readonly target: string;
  readonly instanceUrl: string;
  /** The spec without `durationMs` (the runner sets the expiry when it injects). */
  readonly spec: FaultSpec & { readonly id: string };
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Expands the scenario's faults into SDK fault specs: one per instance ×
 * route × method, with ids `gd-<runId>-<fault>-<n>`.
 */
export function planFaults(
  scenario: Scenario,
  targets: ReadonlyMap<string, ResolvedTarget>,
  runId: string,
): PlannedFault[] {
  const out: PlannedFault[] = [];
  for (const f of scenario.faults) {
    const t = targets.get(f.target)!;
    const urls = f.instances === undefined ? t.urls : f.instances.map((i) => t.urls[i]!);
    const routes: (string | undefined)[] = f.routes.length === 0 ? [undefined] : [...f.routes];
    const methods: (string | undefined)[] = f.methods.length === 0 ? [undefined] : [...f.methods];
    let n = 0;
    for (const url of urls) {
      for (const route of f.kind === 'dependency' ? [undefined] : routes) {
        for (const method of f.kind === 'dependency' ? [undefined] : methods) {
          const spec = {
            kind: f.kind,
            id: `gd-${runId}-${f.index}-${n++}`,
            description:
              f.description ?? `game day ${scenario.name}: faults[${f.index}] (vigil gameday run)`,
            ...(route === undefined ? {} : { route }),
            ...(method === undefined ? {} : { method }),
            ...f.params,
          } as unknown as FaultSpec & { readonly id: string };
          out.push({
            faultIndex: f.index,
            target: f.target,
            instanceUrl: url,
            spec,
            startMs: f.startMs,
            endMs: f.startMs + f.durationMs,
          });
        }
      }
    }
  }
  return out;
}
