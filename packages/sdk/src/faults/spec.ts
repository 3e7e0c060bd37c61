/**
 * Fault specs: what a game day may inject, and their validation. A spec comes
 * from code or from the admin endpoint's JSON body, so everything is checked
 * at run time and a bad spec is refused with `FAULT_SPEC_INVALID` and a
 * message that names the field and the expected shape.
 */
import { ErrorCodes, VigilError } from '@vigil/model';
import { compileRouteTemplate } from './route-match.js';
import type { RouteMatcher } from './route-match.js';

/** Longest delay one latency fault may add, in milliseconds (one minute). */
export const MAX_FAULT_DELAY_MS = 60_000;

/** Longest `durationMs` of a fault: the longest timer Node.js keeps (about 24.8 days). */
export const MAX_FAULT_DURATION_MS = 2 ** 31 - 1;

/** Longest `description` of a fault, in characters. */
export const MAX_FAULT_DESCRIPTION_LENGTH = 500;

/** Longest `message` of a dependency fault, in characters. */
export const MAX_FAULT_MESSAGE_LENGTH = 200;

/** What a fault id must look like: 1 to 64 letters, digits, `_`, `-` or `.`. */
export const FAULT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The kinds of fault. */
export type FaultKind = 'latency' | 'error' | 'dependency';

/** Fields every fault spec may carry. */
export interface FaultSpecBase {
  /**
   * Unique id (see {@link FAULT_ID_PATTERN}); generated (`f-…`) when omitted.
   * Becomes the `fault` label of `vigil_faults_injected_total`.
   */
  readonly id?: string;
  /** Free text for people: why the fault is there, who added it. */
  readonly description?: string;
  /**
   * Milliseconds after which the fault removes itself (positive, at most
   * {@link MAX_FAULT_DURATION_MS}). Without it the fault stays until removed.
   */
  readonly durationMs?: number;
}

/** Which requests a request fault applies to. Omitted fields match everything. */
export interface FaultScope {
  /** HTTP method, case-insensitive (`GET`); stored upper-case. */
  readonly method?: string;
  /**
   * A route template such as `/api/users/:id` or `/api/*` (`:name` = one
   * segment, `*` = the rest). Matched against the framework's route template
   * when the HTTP core knows it, else against the raw path; see `matchesRoute`.
   */
  readonly route?: string;
}

/**
 * How long a latency fault delays a request. Every draw is rounded to whole
 * milliseconds and clamped to [0, {@link MAX_FAULT_DELAY_MS}].
 */
export type LatencyDistribution =
  /** Uniform between `minMs` and `maxMs` (inclusive, `minMs <= maxMs`). */
  | { readonly type: 'uniform'; readonly minMs: number; readonly maxMs: number }
  /** Normal (Gaussian) around `meanMs` with standard deviation `stddevMs`. */
  | { readonly type: 'normal'; readonly meanMs: number; readonly stddevMs: number }
  /** Exponential with mean `meanMs`: mostly short, with a long tail. */
  | { readonly type: 'exponential'; readonly meanMs: number };

/**
 * Adds latency before the handler runs. Give exactly one of `delayMs` (fixed)
 * or `distribution`.
 */
export interface LatencyFaultSpec extends FaultSpecBase, FaultScope {
  readonly kind: 'latency';
  /** Fixed delay in milliseconds, 0 to {@link MAX_FAULT_DELAY_MS}. */
  readonly delayMs?: number;
  /** A random delay per request. */
  readonly distribution?: LatencyDistribution;
  /** Fraction of matching requests delayed, in (0, 1]. Default 1 (all). */
  readonly rate?: number;
}

/** Answers matching requests with an HTTP error status instead of running the handler. */
export interface ErrorFaultSpec extends FaultSpecBase, FaultScope {
  readonly kind: 'error';
  /** The status answered: an integer from 400 to 599. */
  readonly status: number;
  /** Fraction of matching requests that fail, in (0, 1]. Default 1 (all). */
  readonly rate?: number;
}

/**
 * Makes a dependency's health check (in the `HealthRegistry` given to the
 * injector) fail with `message` for as long as the fault is active, without
 * running the real check. Has no request scope.
 */
export interface DependencyFaultSpec extends FaultSpecBase {
  readonly kind: 'dependency';
  /** Name of a registered health check, such as `database`. */
  readonly dependency: string;
  /** Why the check fails, as shown in `/health` (at most {@link MAX_FAULT_MESSAGE_LENGTH} characters). */
  readonly message?: string;
}

/** A fault to inject: what {@link FaultInjector.add} and `POST` on the admin endpoint accept. */
export type FaultSpec = LatencyFaultSpec | ErrorFaultSpec | DependencyFaultSpec;

/**
 * A validated spec: a copy with the id filled in, the method upper-cased and
 * defaults left out (so it serialises back as the user wrote it).
 *
 * @internal
 */
export interface NormalizedFault {
  readonly spec: FaultSpec & { readonly id: string };
  /** The compiled `route`, if any. */
  readonly matcher: RouteMatcher | undefined;
}

const COMMON_FIELDS = ['kind', 'id', 'description', 'durationMs'] as const;
const ALLOWED_FIELDS: Record<FaultKind, readonly string[]> = {
  latency: [...COMMON_FIELDS, 'method', 'route', 'delayMs', 'distribution', 'rate'],
  error: [...COMMON_FIELDS, 'method', 'route', 'status', 'rate'],
  dependency: [...COMMON_FIELDS, 'dependency', 'message'],
};
const DISTRIBUTION_FIELDS: Record<LatencyDistribution['type'], readonly string[]> = {
  uniform: ['type', 'minMs', 'maxMs'],
  normal: ['type', 'meanMs', 'stddevMs'],
  exponential: ['type', 'meanMs'],
};

/**
 * Checks a fault spec from any source and returns its normalised copy.
 *
 * @param generateId - called for an id when the spec has none.
 * @throws VigilError `FAULT_SPEC_INVALID` naming the field and the expected shape.
 * @internal
 */
export function validateFaultSpec(input: unknown, generateId: () => string): NormalizedFault {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(
      '',
      `A fault spec must be an object such as {"kind":"latency","delayMs":200}, got ${describe(input)}.`,
    );
  }
  const raw = input as Record<string, unknown>;
  const kind = raw.kind;
  if (kind !== 'latency' && kind !== 'error' && kind !== 'dependency') {
    throw invalid(
      'kind',
      `Fault "kind" must be "latency", "error" or "dependency", got ${describe(kind)}.`,
    );
  }
  rejectUnknownFields(
    raw,
    ALLOWED_FIELDS[kind],
    `${kind === 'error' ? 'an' : 'a'} ${kind} fault`,
    '',
  );

  const out: Record<string, unknown> = { kind };
  const id = raw.id === undefined ? generateId() : raw.id;
  if (typeof id !== 'string' || !FAULT_ID_PATTERN.test(id)) {
    throw invalid(
      'id',
      `Fault "id" must be 1 to 64 letters, digits, "_", "-" or ".", got ${describe(id)}.`,
    );
  }
  out.id = id;
  if (raw.description !== undefined) {
    if (
      typeof raw.description !== 'string' ||
      raw.description.length > MAX_FAULT_DESCRIPTION_LENGTH
    ) {
      throw invalid(
        'description',
        `Fault "description" must be a string of at most ${MAX_FAULT_DESCRIPTION_LENGTH} characters.`,
      );
    }
    out.description = raw.description;
  }
  if (raw.durationMs !== undefined) {
    out.durationMs = number(raw.durationMs, 'durationMs', {
      min: 0,
      minExclusive: true,
      max: MAX_FAULT_DURATION_MS,
      unit: 'milliseconds',
    });
  }

  let matcher: RouteMatcher | undefined;
  if (kind !== 'dependency') {
    if (raw.method !== undefined) {
      if (typeof raw.method !== 'string' || !/^[A-Za-z]{1,20}$/.test(raw.method)) {
        throw invalid(
          'method',
          `Fault "method" must be an HTTP method such as "GET", got ${describe(raw.method)}.`,
        );
      }
      out.method = raw.method.toUpperCase();
    }
    if (raw.route !== undefined) {
      if (typeof raw.route !== 'string') {
        throw invalid(
          'route',
          `Fault "route" must be a route template string such as "/api/users/:id", got ${describe(raw.route)}.`,
        );
      }
      const compiled = compileRouteTemplate(raw.route);
      if (typeof compiled === 'string') {
        throw invalid('route', `Fault "route" ${compiled}.`);
      }
      matcher = compiled;
      out.route = raw.route;
    }
    if (raw.rate !== undefined) {
      out.rate = number(raw.rate, 'rate', {
        min: 0,
        minExclusive: true,
        max: 1,
        unit: 'fraction of matching requests',
      });
    }
  }

  switch (kind) {
    case 'latency':
      validateLatency(raw, out);
      break;
    case 'error':
      validateError(raw, out);
      break;
    case 'dependency':
      validateDependency(raw, out);
      break;
  }
  return { spec: Object.freeze(out) as unknown as NormalizedFault['spec'], matcher };
}

function validateLatency(raw: Record<string, unknown>, out: Record<string, unknown>): void {
  const hasFixed = raw.delayMs !== undefined;
  const hasDistribution = raw.distribution !== undefined;
  if (hasFixed === hasDistribution) {
    throw invalid(
      hasFixed ? 'distribution' : 'delayMs',
      'A latency fault needs exactly one of "delayMs" (a fixed delay in milliseconds) or ' +
        '"distribution" ({"type":"uniform","minMs":…,"maxMs":…}, {"type":"normal","meanMs":…,' +
        '"stddevMs":…} or {"type":"exponential","meanMs":…}).',
    );
  }
  if (hasFixed) {
    out.delayMs = delay(raw.delayMs, 'delayMs');
    return;
  }
  const d = raw.distribution;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) {
    throw invalid('distribution', `Fault "distribution" must be an object, got ${describe(d)}.`);
  }
  const dist = d as Record<string, unknown>;
  const type = dist.type;
  if (type !== 'uniform' && type !== 'normal' && type !== 'exponential') {
    throw invalid(
      'distribution.type',
      `Fault "distribution.type" must be "uniform", "normal" or "exponential", got ${describe(type)}.`,
    );
  }
  rejectUnknownFields(dist, DISTRIBUTION_FIELDS[type], `a ${type} distribution`, 'distribution.');
  switch (type) {
    case 'uniform': {
      const minMs = delay(dist.minMs, 'distribution.minMs');
      const maxMs = delay(dist.maxMs, 'distribution.maxMs');
      if (minMs > maxMs) {
        throw invalid(
          'distribution.minMs',
          `Fault "distribution.minMs" (${minMs}) must not exceed "distribution.maxMs" (${maxMs}).`,
        );
      }
      out.distribution = Object.freeze({ type, minMs, maxMs });
      return;
    }
    case 'normal':
      out.distribution = Object.freeze({
        type,
        meanMs: delay(dist.meanMs, 'distribution.meanMs'),
        stddevMs: delay(dist.stddevMs, 'distribution.stddevMs'),
      });
      return;
    case 'exponential':
      out.distribution = Object.freeze({
        type,
        meanMs: number(dist.meanMs, 'distribution.meanMs', {
          min: 0,
          minExclusive: true,
          max: MAX_FAULT_DELAY_MS,
          unit: 'milliseconds',
        }),
      });
      return;
  }
}

function validateError(raw: Record<string, unknown>, out: Record<string, unknown>): void {
  const status = raw.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
    throw invalid(
      'status',
      `An error fault needs "status", an HTTP error status from 400 to 599 (such as 503), got ${describe(status)}.`,
    );
  }
  out.status = status;
}

function validateDependency(raw: Record<string, unknown>, out: Record<string, unknown>): void {
  const dependency = raw.dependency;
  if (typeof dependency !== 'string' || dependency.trim() === '') {
    throw invalid(
      'dependency',
      `A dependency fault needs "dependency", the name of a registered health check (such as "database"), got ${describe(dependency)}.`,
    );
  }
  out.dependency = dependency;
  if (raw.message !== undefined) {
    if (
      typeof raw.message !== 'string' ||
      raw.message.trim() === '' ||
      raw.message.length > MAX_FAULT_MESSAGE_LENGTH
    ) {
      throw invalid(
        'message',
        `Fault "message" must be a non-empty string of at most ${MAX_FAULT_MESSAGE_LENGTH} characters.`,
      );
    }
    out.message = raw.message;
  }
}

function rejectUnknownFields(
  raw: Record<string, unknown>,
  allowed: readonly string[],
  what: string,
  prefix: string,
): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      throw invalid(
        `${prefix}${key}`,
        `Unknown field ${JSON.stringify(prefix + key)} in ${what}; allowed fields: ${allowed.join(', ')}.`,
      );
    }
  }
}

function delay(value: unknown, field: string): number {
  return number(value, field, { min: 0, max: MAX_FAULT_DELAY_MS, unit: 'milliseconds' });
}

function number(
  value: unknown,
  field: string,
  range: { min: number; minExclusive?: boolean; max: number; unit: string },
): number {
  const low = range.minExclusive === true ? `> ${range.min}` : `>= ${range.min}`;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (range.minExclusive === true ? value <= range.min : value < range.min) ||
    value > range.max
  ) {
    throw invalid(
      field,
      `Fault "${field}" must be a number ${low} and <= ${range.max} (${range.unit}), got ${describe(value)}.`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 79)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function invalid(field: string, message: string): VigilError {
  return new VigilError(ErrorCodes.FAULT_SPEC_INVALID, message, {
    details: field === '' ? {} : { field },
  });
}
