/**
 * `FaultInjector`: the SDK side of game days. It holds the active faults,
 * decides per request which of them apply (the HTTP core calls
 * {@link FaultInjector.decide}), fails health checks through the
 * `HealthRegistry`, serves the admin endpoint, and logs and counts every
 * injection so that a practice incident can be told apart from a real one.
 *
 * Off by default, and impossible to switch on from the environment alone in
 * production; see {@link FaultInjectorOptions}.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes, VigilError } from '@vigil/model';
import { diagError, diagWarn } from '../diag.js';
import type { HealthRegistry } from '../health/index.js';
import type { Logger } from '../log/index.js';
import { defaultRegistry } from '../metrics/index.js';
import type { CounterChild, Registry } from '../metrics/index.js';
import {
  DEFAULT_FAULT_ADMIN_PREFIX,
  MIN_FAULT_ADMIN_TOKEN_LENGTH,
  serveAdmin,
  tokenDigest,
} from './admin.js';
import type { AdminOperations } from './admin.js';
import { FAULT_KINDS, faultMetrics } from './metrics.js';
import type { FaultMetrics } from './metrics.js';
import { matchesRoute } from './route-match.js';
import type { RouteMatcher } from './route-match.js';
import { MAX_FAULT_DELAY_MS, validateFaultSpec } from './spec.js';
import type { FaultKind, FaultSpec, LatencyDistribution } from './spec.js';

/** Most faults active at once in one injector; one more is refused with `FAULT_LIMIT_REACHED`. */
export const MAX_ACTIVE_FAULTS = 100;

/** Default shortest time between two log lines about the injections of one fault (ms). */
export const DEFAULT_INJECTION_LOG_INTERVAL_MS = 10_000;

/** Environment variables read by {@link FaultInjector}. */
export const FaultEnv = {
  /** `true` enables fault injection, except in production (see {@link FaultInjectorOptions}). */
  enabled: 'VIGIL_FAULTS_ENABLED',
  /** The admin endpoint's bearer token when the `adminToken` option is not given. */
  token: 'VIGIL_FAULTS_TOKEN',
} as const;

/** Where the injector logs. A Vigil (pino) {@link Logger} satisfies it. */
export type FaultLogger = Pick<Logger, 'info' | 'warn'>;

/** Options of {@link FaultInjector}. */
export interface FaultInjectorOptions {
  /**
   * Enables fault injection. Default: the environment variable
   * `VIGIL_FAULTS_ENABLED=true`. `false` here wins over the variable.
   */
  enabled?: boolean;
  /**
   * With `NODE_ENV=production` fault injection stays off unless this is true,
   * whatever `enabled` and `VIGIL_FAULTS_ENABLED` say: an environment
   * variable alone can never enable it in production. Default false.
   */
  allowInProduction?: boolean;
  /**
   * Bearer token of the admin endpoint, at least
   * {@link MIN_FAULT_ADMIN_TOKEN_LENGTH} characters. Default: the environment
   * variable `VIGIL_FAULTS_TOKEN`. Without a valid token the admin endpoint is
   * not served at all (faults can still be added in code).
   */
  adminToken?: string;
  /** Path prefix of the admin endpoint. Default {@link DEFAULT_FAULT_ADMIN_PREFIX}. */
  adminPrefix?: string;
  /** The health registry whose checks `dependency` faults fail. Without it they are refused. */
  health?: HealthRegistry;
  /**
   * Logs faults added (warn), removed or expired (info), the first injection
   * of each fault (warn) and then a count at most once per
   * `injectionLogIntervalMs` (info). Without a logger the warnings go to the
   * SDK diagnostics and the rest is only counted.
   */
  logger?: FaultLogger;
  /** Registry of `vigil_faults_injected_total` and `vigil_faults_active`. Default `defaultRegistry`. */
  registry?: Registry;
  /** Shortest time between two injection log lines of one fault (ms). Default {@link DEFAULT_INJECTION_LOG_INTERVAL_MS}. */
  injectionLogIntervalMs?: number;
  /** Uniform random numbers in [0, 1) for `rate` and distributions; tests pass a seeded one. Default `Math.random`. */
  random?: () => number;
  /** Wall clock in epoch milliseconds (timestamps, expiry checks, log throttling). Default `Date.now`. */
  now?: () => number;
  /** Environment read for `NODE_ENV`, `VIGIL_FAULTS_ENABLED` and `VIGIL_FAULTS_TOKEN`. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * What {@link FaultInjector.decide} returns for a request some fault applies
 * to. Frozen.
 */
export interface FaultDecision {
  /** Delay to add before the handler runs (ms), 0 for none; at most {@link MAX_FAULT_DELAY_MS}. */
  readonly delayMs: number;
  /** When set, answer with this status instead of running the handler. */
  readonly errorStatus?: number;
  /** Ids of the faults applied (for logs and span attributes). */
  readonly faultIds: readonly string[];
}

/** State of an active fault, next to its spec. */
export interface ActiveFaultState {
  /** The fault's id (given or generated). */
  readonly id: string;
  /** When the fault was added, epoch milliseconds. */
  readonly addedAt: number;
  /** When it expires, epoch milliseconds; absent when it has no `durationMs`. */
  readonly expiresAt?: number;
  /** Requests delayed or failed, or health checks failed, by this fault so far. */
  readonly injectedCount: number;
}

/**
 * An active fault as listed by {@link FaultInjector.list} and the admin
 * endpoint: its normalised spec (method upper-cased, id filled in) and its
 * state. A snapshot, frozen; it does not change as the fault is injected.
 */
export type ActiveFault = FaultSpec & ActiveFaultState;

/** Why a fault stopped, as logged. */
type RemovalReason = 'removed' | 'expired' | 'cleared' | 'closed';

/** Who added a fault, as logged. */
type Source = 'code' | 'admin';

interface Fault {
  readonly id: string;
  readonly kind: FaultKind;
  readonly spec: FaultSpec & { readonly id: string };
  readonly matcher: RouteMatcher | undefined;
  /** Upper-case method, or undefined for any. */
  readonly method: string | undefined;
  /** Fraction of matching requests affected. */
  readonly rate: number;
  readonly status: number;
  readonly distribution: LatencyDistribution | undefined;
  readonly delayMs: number;
  readonly addedAt: number;
  readonly expiresAt: number | undefined;
  readonly counter: CounterChild;
  timer: NodeJS.Timeout | undefined;
  release: (() => void) | undefined;
  injected: number;
  /** Injections since the last log line. */
  unlogged: number;
  lastLogAt: number | undefined;
}

const NO_FAULTS: readonly Fault[] = Object.freeze([]);

/**
 * Injects faults (latency, errors, failing dependencies) into an instrumented
 * service for practice: game days, alert tests, chaos drills.
 *
 * Safety: off unless enabled (option `enabled` or `VIGIL_FAULTS_ENABLED=true`);
 * with `NODE_ENV=production` also only when the code passes
 * `allowInProduction: true`. The admin endpoint is served only with a token
 * of at least {@link MIN_FAULT_ADMIN_TOKEN_LENGTH} characters. A disabled
 * injector is inert: {@link decide} returns undefined, {@link handleAdmin}
 * returns false, no metric is registered.
 *
 * Single-threaded like the rest of the SDK: any number of concurrent
 * requests may call {@link decide} and {@link handleAdmin}. {@link decide}
 * never throws; {@link add} throws on a bad spec.
 */
export class FaultInjector {
  readonly #enabled: boolean;
  readonly #disabledReason: string | undefined;
  readonly #prefix: string;
  readonly #tokenDigest: Buffer | undefined;
  readonly #health: HealthRegistry | undefined;
  readonly #logger: FaultLogger | undefined;
  readonly #registry: Registry;
  readonly #logIntervalMs: number;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #faults = new Map<string, Fault>();
  /** Latency and error faults in the order added: the only thing {@link decide} reads when idle. */
  #requestFaults: readonly Fault[] = NO_FAULTS;
  #metrics: FaultMetrics | undefined;
  #closed = false;
  #unauthorized = 0;
  #lastUnauthorizedLogAt: number | undefined;
  readonly #adminOps: AdminOperations;

  /**
   * @throws VigilError `CONFIG_INVALID` when an option has the wrong type or
   *   `adminPrefix` is not a path such as `/_vigil/faults`. A missing or
   *   short token never throws: the admin endpoint stays off and a warning
   *   says why.
   */
  constructor(options: FaultInjectorOptions = {}) {
    const opts = checkOptions(options);
    const env = opts.env ?? process.env;
    this.#logger = opts.logger;
    this.#registry = opts.registry ?? defaultRegistry;
    this.#health = opts.health;
    this.#logIntervalMs = opts.injectionLogIntervalMs ?? DEFAULT_INJECTION_LOG_INTERVAL_MS;
    this.#random = opts.random ?? Math.random;
    this.#now = opts.now ?? Date.now;
    this.#prefix = opts.adminPrefix ?? DEFAULT_FAULT_ADMIN_PREFIX;

    const fromEnv = env[FaultEnv.enabled];
    let requested = opts.enabled;
    if (requested === undefined) {
      const value = fromEnv?.trim().toLowerCase();
      requested = value === 'true';
      if (value !== undefined && value !== '' && value !== 'true' && value !== 'false') {
        this.#log(
          'warn',
          { code: ErrorCodes.CONFIG_INVALID, variable: FaultEnv.enabled },
          `${FaultEnv.enabled} must be "true" or "false", got ${JSON.stringify(fromEnv)}; fault injection stays off.`,
        );
      }
    }
    const production = env.NODE_ENV === 'production';
    if (!requested) {
      this.#enabled = false;
      this.#disabledReason = `not enabled (option enabled: true or ${FaultEnv.enabled}=true)`;
    } else if (production && opts.allowInProduction !== true) {
      this.#enabled = false;
      this.#disabledReason =
        'NODE_ENV=production and the code did not pass allowInProduction: true';
      this.#log(
        'warn',
        { code: ErrorCodes.FAULT_INJECTION_DISABLED },
        'Fault injection was requested but stays off: NODE_ENV=production and the code did not ' +
          'pass allowInProduction: true to FaultInjector.',
      );
    } else {
      this.#enabled = true;
      this.#disabledReason = undefined;
    }

    const token = opts.adminToken ?? env[FaultEnv.token];
    let digest: Buffer | undefined;
    if (this.#enabled && token !== undefined) {
      if (token.length >= MIN_FAULT_ADMIN_TOKEN_LENGTH) {
        digest = tokenDigest(token);
      } else {
        this.#log(
          'warn',
          { code: ErrorCodes.CONFIG_INVALID },
          `The fault admin token (${opts.adminToken === undefined ? FaultEnv.token : 'option adminToken'}) ` +
            `is shorter than ${MIN_FAULT_ADMIN_TOKEN_LENGTH} characters; the admin endpoint is not served. ` +
            'Use a long random token, e.g. `openssl rand -hex 32`.',
        );
      }
    }
    this.#tokenDigest = digest;

    if (this.#enabled) {
      this.#metrics = this.#safe(() => {
        const metrics = faultMetrics(this.#registry);
        for (const kind of FAULT_KINDS) metrics.active.inc({ kind }, 0);
        return metrics;
      });
      this.#log(
        'warn',
        { admin: digest === undefined ? false : this.#prefix, production },
        digest === undefined
          ? 'Fault injection is enabled (no admin endpoint: faults can only be added in code).'
          : `Fault injection is enabled; admin endpoint at ${this.#prefix}.`,
      );
    }

    this.#adminOps = {
      list: () => this.list(),
      get: (id) => this.get(id),
      add: (spec) => this.#add(spec, 'admin'),
      remove: (id) => {
        const fault = this.#faults.get(id);
        if (fault === undefined) return undefined;
        const snapshot = this.#snapshot(fault);
        this.#remove(fault, 'removed');
        return snapshot;
      },
      clear: () => this.#removeAll('cleared'),
      onUnauthorized: (req) => this.#noteUnauthorized(req),
    };
  }

  /** True when faults may be injected at all (enabled and allowed in this environment, and not closed). */
  get enabled(): boolean {
    return this.#enabled && !this.#closed;
  }

  /** Why the injector is off (for a status line), or undefined when it is enabled. */
  get disabledReason(): string | undefined {
    if (this.#closed) return 'closed';
    return this.#disabledReason;
  }

  /** True when {@link handleAdmin} serves the admin endpoint (enabled, with a valid token). */
  get adminEnabled(): boolean {
    return this.enabled && this.#tokenDigest !== undefined;
  }

  /** The admin endpoint's path prefix. */
  get adminPrefix(): string {
    return this.#prefix;
  }

  /**
   * Decides the faults for one request. Called on every request by the HTTP
   * core: with no active request fault it is two field reads. `route` is the
   * framework route template when known (`/api/users/:id`), else undefined;
   * `path` is the raw URL path without query string. Returns undefined when
   * nothing applies. Several faults may apply: latency faults add up (capped
   * at {@link MAX_FAULT_DELAY_MS}), the first error fault that fires gives
   * the status. Counts and logs the faults applied. Never throws.
   */
  decide(method: string, path: string, route?: string): FaultDecision | undefined {
    const faults = this.#requestFaults;
    if (faults.length === 0) return undefined;
    try {
      return this.#decide(faults, method, path, route);
    } catch (err) {
      diagError({ err }, 'fault injection failed to decide; the request goes on unchanged');
      return undefined;
    }
  }

  /**
   * Serves the admin API when `path` is under the admin prefix and returns
   * true; returns false without touching the response otherwise, and always
   * when the injector is disabled or has no admin token (the prefix then looks
   * like any unknown path).
   *
   * - `GET {prefix}` → 200 `{faults: ActiveFault[]}`
   * - `POST {prefix}` with a {@link FaultSpec} JSON body → 201 `{fault}`
   * - `DELETE {prefix}` → 200 `{removed: n}`
   * - `GET {prefix}/{id}` → 200 `{fault}`; `DELETE {prefix}/{id}` → 200 `{removed: 1, fault}`
   *
   * Every request needs `Authorization: Bearer <token>` (401 otherwise).
   * Errors are `{error: {code, message, details?}}` with the status of
   * `FAULT_ERROR_STATUS`: 400 bad spec or JSON, 404 unknown id, 405 wrong
   * method (with `Allow`), 409 id taken or too many faults, 413 body over
   * 64 KiB. Answers asynchronously for `POST`. Never throws.
   */
  handleAdmin(req: IncomingMessage, res: ServerResponse): boolean {
    const digest = this.#tokenDigest;
    if (digest === undefined || this.#closed) return false;
    const url = req.url;
    const prefix = this.#prefix;
    if (url === undefined || !url.startsWith(prefix)) return false;
    const next = url.charCodeAt(prefix.length);
    // End of string (NaN), '/' or '?': '/_vigil/faultsX' is another path.
    if (!Number.isNaN(next) && next !== 0x2f && next !== 0x3f) return false;
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    serveAdmin(req, res, path, prefix, digest, this.#adminOps);
    return true;
  }

  /**
   * Adds a fault and returns it as listed. Takes effect for the next request
   * (or the next health check run).
   *
   * @throws VigilError `FAULT_INJECTION_DISABLED` when the injector is off or
   *   closed; `FAULT_SPEC_INVALID` for a bad spec (the message names the
   *   field), a dependency fault without the `health` option or for a check
   *   that is not registered; `FAULT_ID_CONFLICT` when the id is taken;
   *   `FAULT_LIMIT_REACHED` with {@link MAX_ACTIVE_FAULTS} faults active.
   */
  add(spec: FaultSpec): ActiveFault {
    return this.#add(spec, 'code');
  }

  /** Removes the fault `id`; returns false when no active fault has that id. */
  remove(id: string): boolean {
    const fault = this.#faults.get(id);
    if (fault === undefined) return false;
    this.#remove(fault, 'removed');
    return true;
  }

  /** Removes every fault; returns how many there were. */
  clear(): number {
    return this.#removeAll('cleared');
  }

  /** The active faults, oldest first (expired ones are removed first). */
  list(): ActiveFault[] {
    this.#sweepExpired();
    return [...this.#faults.values()].map((fault) => this.#snapshot(fault));
  }

  /** The active fault `id`, or undefined. */
  get(id: string): ActiveFault | undefined {
    this.#sweepExpired();
    const fault = this.#faults.get(id);
    return fault === undefined ? undefined : this.#snapshot(fault);
  }

  /**
   * Removes every fault (releasing failed health checks), stops the expiry
   * timers and turns the injector off for good: {@link add} throws
   * `FAULT_INJECTION_DISABLED` and {@link handleAdmin} returns false.
   * Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#removeAll('closed');
    this.#closed = true;
  }

  #add(input: unknown, source: Source): ActiveFault {
    if (!this.enabled) {
      throw new VigilError(
        ErrorCodes.FAULT_INJECTION_DISABLED,
        `Fault injection is off (${this.disabledReason ?? 'disabled'}); the fault was not added.`,
      );
    }
    const { spec, matcher } = validateFaultSpec(input, () => this.#newId());
    if (this.#faults.has(spec.id)) {
      throw new VigilError(
        ErrorCodes.FAULT_ID_CONFLICT,
        `A fault with id ${JSON.stringify(spec.id)} is already active; remove it first or pick another id.`,
        { details: { id: spec.id } },
      );
    }
    if (this.#faults.size >= MAX_ACTIVE_FAULTS) {
      throw new VigilError(
        ErrorCodes.FAULT_LIMIT_REACHED,
        `${MAX_ACTIVE_FAULTS} faults are already active; remove some before adding more.`,
        { details: { limit: MAX_ACTIVE_FAULTS } },
      );
    }
    if (spec.kind === 'dependency') this.#checkDependency(spec.dependency);

    const now = this.#now();
    const fault: Fault = {
      id: spec.id,
      kind: spec.kind,
      spec,
      matcher,
      method: spec.kind === 'dependency' ? undefined : spec.method,
      rate: spec.kind === 'dependency' ? 1 : (spec.rate ?? 1),
      status: spec.kind === 'error' ? spec.status : 0,
      distribution: spec.kind === 'latency' ? spec.distribution : undefined,
      delayMs: spec.kind === 'latency' ? (spec.delayMs ?? 0) : 0,
      addedAt: now,
      expiresAt: spec.durationMs === undefined ? undefined : now + spec.durationMs,
      counter: this.#counterFor(spec.kind, spec.id),
      timer: undefined,
      release: undefined,
      injected: 0,
      unlogged: 0,
      lastLogAt: undefined,
    };
    if (spec.kind === 'dependency') {
      const message = `${spec.message ?? 'dependency unavailable'} (injected fault ${spec.id})`;
      fault.release = this.#health!.forceDown(spec.dependency, message, () =>
        this.#recordInjection(fault, this.#now(), undefined),
      );
    }
    if (spec.durationMs !== undefined) {
      fault.timer = setTimeout(() => {
        if (this.#faults.get(fault.id) === fault) this.#remove(fault, 'expired');
      }, spec.durationMs);
      fault.timer.unref();
    }
    this.#faults.set(fault.id, fault);
    if (fault.kind !== 'dependency') this.#rebuild();
    this.#safe(() => this.#metrics?.active.inc({ kind: fault.kind }));
    this.#log(
      'warn',
      { fault: fault.id, kind: fault.kind, source, spec },
      `Fault ${fault.id} (${fault.kind}) added: ${summary(spec)}`,
    );
    return this.#snapshot(fault);
  }

  #checkDependency(name: string): void {
    const health = this.#health;
    if (health === undefined) {
      throw new VigilError(
        ErrorCodes.FAULT_SPEC_INVALID,
        'A dependency fault needs the health registry: pass { health } to FaultInjector.',
        { details: { field: 'dependency' } },
      );
    }
    const names = health.names;
    if (!names.includes(name)) {
      throw new VigilError(
        ErrorCodes.FAULT_SPEC_INVALID,
        `No health check named ${JSON.stringify(name)}; registered: ${names.map((n) => JSON.stringify(n)).join(', ') || 'none'}.`,
        { details: { field: 'dependency' } },
      );
    }
  }

  #remove(fault: Fault, reason: RemovalReason): void {
    if (this.#faults.get(fault.id) !== fault) return;
    this.#faults.delete(fault.id);
    clearTimeout(fault.timer);
    fault.timer = undefined;
    if (fault.kind !== 'dependency') this.#rebuild();
    this.#safe(() => fault.release?.());
    fault.release = undefined;
    this.#safe(() => this.#metrics?.active.dec({ kind: fault.kind }));
    this.#log(
      'info',
      {
        fault: fault.id,
        kind: fault.kind,
        reason,
        injected_total: fault.injected,
        injected: fault.unlogged,
      },
      `Fault ${fault.id} (${fault.kind}) ${reason} after ${fault.injected} injection(s)`,
    );
  }

  #removeAll(reason: RemovalReason): number {
    const all = [...this.#faults.values()];
    for (const fault of all) this.#remove(fault, reason);
    return all.length;
  }

  #sweepExpired(): void {
    const now = this.#now();
    for (const fault of [...this.#faults.values()]) {
      if (fault.expiresAt !== undefined && now >= fault.expiresAt) this.#remove(fault, 'expired');
    }
  }

  #rebuild(): void {
    const list: Fault[] = [];
    for (const fault of this.#faults.values()) if (fault.kind !== 'dependency') list.push(fault);
    this.#requestFaults = list.length === 0 ? NO_FAULTS : Object.freeze(list);
  }

  #decide(
    faults: readonly Fault[],
    method: string,
    path: string,
    route: string | undefined,
  ): FaultDecision | undefined {
    // The clock is read only when needed: a request no fault applies to costs
    // the scope checks and nothing else.
    let now: number | undefined;
    let delayMs = 0;
    let errorStatus: number | undefined;
    let ids: string[] | undefined;
    for (let i = 0; i < faults.length; i++) {
      const fault = faults[i]!;
      if (fault.kind === 'error' && errorStatus !== undefined) continue;
      if (
        fault.method !== undefined &&
        method !== fault.method &&
        String(method).toUpperCase() !== fault.method
      ) {
        continue;
      }
      if (fault.matcher !== undefined && !matchesRoute(fault.matcher, path, route)) continue;
      if (fault.expiresAt !== undefined && (now ??= this.#now()) >= fault.expiresAt) continue;
      if (fault.rate < 1 && !(this.#random() < fault.rate)) continue;
      if (fault.kind === 'latency') delayMs += this.#drawDelayMs(fault);
      else errorStatus = fault.status;
      (ids ??= []).push(fault.id);
      this.#recordInjection(fault, (now ??= this.#now()), { method, path, route });
    }
    if (ids === undefined) return undefined;
    const decision: { delayMs: number; errorStatus?: number; faultIds: readonly string[] } = {
      delayMs: Math.min(delayMs, MAX_FAULT_DELAY_MS),
      faultIds: Object.freeze(ids),
    };
    if (errorStatus !== undefined) decision.errorStatus = errorStatus;
    return Object.freeze(decision);
  }

  #drawDelayMs(fault: Fault): number {
    const d = fault.distribution;
    if (d === undefined) return fault.delayMs;
    let value: number;
    switch (d.type) {
      case 'uniform':
        value = d.minMs + this.#random() * (d.maxMs - d.minMs);
        break;
      case 'normal': {
        // Box-Muller; 1 - u keeps the logarithm finite for u = 0.
        const u1 = 1 - this.#random();
        const u2 = this.#random();
        value = d.meanMs + d.stddevMs * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        break;
      }
      case 'exponential':
        value = -d.meanMs * Math.log(1 - this.#random());
        break;
    }
    if (!(value > 0)) return 0; // also NaN from a broken random source
    return Math.min(Math.round(value), MAX_FAULT_DELAY_MS);
  }

  #recordInjection(
    fault: Fault,
    now: number,
    request: { method: string; path: string; route: string | undefined } | undefined,
  ): void {
    fault.injected++;
    fault.unlogged++;
    this.#safe(() => fault.counter.inc());
    const first = fault.lastLogAt === undefined;
    if (!first && now - fault.lastLogAt! < this.#logIntervalMs) return;
    const injected = fault.unlogged;
    fault.unlogged = 0;
    fault.lastLogAt = now;
    const fields: Record<string, unknown> = {
      fault: fault.id,
      kind: fault.kind,
      injected,
      injected_total: fault.injected,
    };
    if (request !== undefined) {
      fields.method = request.method;
      fields.path = request.path;
      if (request.route !== undefined) fields.route = request.route;
    }
    if (first) {
      this.#log('warn', fields, `Fault ${fault.id} (${fault.kind}) injected for the first time`);
    } else {
      this.#log(
        'info',
        fields,
        `Fault ${fault.id} (${fault.kind}) injected ${injected} time(s) since the last report`,
      );
    }
  }

  #counterFor(kind: FaultKind, id: string): CounterChild {
    const metrics = this.#metrics;
    if (metrics === undefined) return NULL_COUNTER;
    return this.#safe(() => metrics.injected.labels({ kind, fault: id })) ?? NULL_COUNTER;
  }

  #snapshot(fault: Fault): ActiveFault {
    const state: { addedAt: number; expiresAt?: number; injectedCount: number } = {
      addedAt: fault.addedAt,
      injectedCount: fault.injected,
    };
    if (fault.expiresAt !== undefined) state.expiresAt = fault.expiresAt;
    return Object.freeze({ ...fault.spec, ...state });
  }

  #newId(): string {
    for (;;) {
      const id = `f-${randomBytes(4).toString('hex')}`;
      if (!this.#faults.has(id)) return id;
    }
  }

  #noteUnauthorized(req: IncomingMessage): void {
    this.#unauthorized++;
    const now = this.#now();
    const last = this.#lastUnauthorizedLogAt;
    if (last !== undefined && now - last < this.#logIntervalMs) return;
    this.#lastUnauthorizedLogAt = now;
    const refused = this.#unauthorized;
    this.#unauthorized = 0;
    this.#log(
      'warn',
      {
        code: ErrorCodes.FAULT_ADMIN_UNAUTHORIZED,
        method: req.method,
        remote_address: req.socket?.remoteAddress,
        refused,
      },
      `Fault admin endpoint refused ${refused} request(s) without a valid token`,
    );
  }

  #log(level: 'info' | 'warn', fields: Record<string, unknown>, message: string): void {
    const all = { component: 'vigil.faults', fault_injection: true, ...fields };
    try {
      if (this.#logger !== undefined) this.#logger[level](all, message);
      else if (level === 'warn') diagWarn(all, message);
    } catch (err) {
      diagWarn({ err }, 'the fault-injection logger threw; a fault event was not logged');
    }
  }

  #safe<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      diagError({ err }, 'fault injection bookkeeping failed (metrics or health override)');
      return undefined;
    }
  }
}

/** Counts nothing: used when the metrics could not be set up. */
const NULL_COUNTER = { inc(): void {} } as unknown as CounterChild;

/** One line describing a spec for the "added" log. */
function summary(spec: FaultSpec): string {
  const scope =
    spec.kind === 'dependency'
      ? ''
      : ` on ${spec.method ?? 'any method'} ${spec.route ?? 'any route'}` +
        (spec.rate === undefined ? '' : ` at rate ${spec.rate}`);
  const what =
    spec.kind === 'latency'
      ? spec.delayMs !== undefined
        ? `${spec.delayMs} ms delay`
        : `${spec.distribution!.type} delay`
      : spec.kind === 'error'
        ? `status ${spec.status}`
        : `health check "${spec.dependency}" fails`;
  const until = spec.durationMs === undefined ? '' : ` for ${spec.durationMs} ms`;
  return `${what}${scope}${until}`;
}

function checkOptions(options: FaultInjectorOptions): FaultInjectorOptions {
  const opts = options as unknown;
  if (typeof opts !== 'object' || opts === null) {
    throw configInvalid('FaultInjector options must be an object.');
  }
  const o = opts as Record<string, unknown>;
  for (const key of ['enabled', 'allowInProduction'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      throw configInvalid(`FaultInjector option "${key}" must be true or false.`);
    }
  }
  if (o.adminToken !== undefined && typeof o.adminToken !== 'string') {
    throw configInvalid('FaultInjector option "adminToken" must be a string.');
  }
  if (o.adminPrefix !== undefined) {
    const p = o.adminPrefix;
    if (
      typeof p !== 'string' ||
      !/^\/[^\s?#]*$/.test(p) ||
      p === '/' ||
      p.endsWith('/') ||
      p.includes('//')
    ) {
      throw configInvalid(
        `FaultInjector option "adminPrefix" must be a path such as "${DEFAULT_FAULT_ADMIN_PREFIX}" ` +
          `(leading "/", no trailing "/", no query), got ${JSON.stringify(p)}.`,
      );
    }
  }
  for (const key of ['random', 'now'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'function') {
      throw configInvalid(`FaultInjector option "${key}" must be a function.`);
    }
  }
  const interval = o.injectionLogIntervalMs;
  if (
    interval !== undefined &&
    (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0)
  ) {
    throw configInvalid(
      'FaultInjector option "injectionLogIntervalMs" must be a finite number >= 0 (milliseconds).',
    );
  }
  const health = o.health as { forceDown?: unknown } | undefined;
  if (
    health !== undefined &&
    (typeof health !== 'object' || health === null || typeof health.forceDown !== 'function')
  ) {
    throw configInvalid('FaultInjector option "health" must be a HealthRegistry.');
  }
  const registry = o.registry as { getSingleMetric?: unknown } | undefined;
  if (
    registry !== undefined &&
    (typeof registry !== 'object' ||
      registry === null ||
      typeof registry.getSingleMetric !== 'function')
  ) {
    throw configInvalid('FaultInjector option "registry" must be a metrics Registry.');
  }
  const logger = o.logger as { info?: unknown; warn?: unknown } | undefined;
  if (
    logger !== undefined &&
    (typeof logger !== 'object' ||
      logger === null ||
      typeof logger.info !== 'function' ||
      typeof logger.warn !== 'function')
  ) {
    throw configInvalid(
      'FaultInjector option "logger" must have info() and warn() (a pino logger).',
    );
  }
  if (o.env !== undefined && (typeof o.env !== 'object' || o.env === null)) {
    throw configInvalid('FaultInjector option "env" must be an object of strings.');
  }
  return options;
}

function configInvalid(message: string): VigilError {
  return new VigilError(ErrorCodes.CONFIG_INVALID, message);
}
