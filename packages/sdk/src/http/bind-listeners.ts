/**
 * Keeps the request's context alive in its stream events.
 *
 * A request body arrives through `data` and `end` events emitted by the HTTP
 * parser, whose async context was fixed when the connection was read, not
 * when the handler ran: a body parser's callbacks (and every middleware after
 * it) would run without the request's span and request id. Listeners added
 * to the request while its context is active are therefore wrapped to
 * re-enter that context: the OpenTelemetry context and the log correlation.
 *
 * Why not `AsyncResource.bind`: it restores every `AsyncLocalStorage` at
 * once, but costs about 10 µs per call on Node 20 (an async resource and two
 * deprecation wrappers), and Node itself adds a listener to every request.
 * Re-entering the two stores Vigil uses costs a closure and two
 * `AsyncLocalStorage.run` calls. Another library's own `AsyncLocalStorage`
 * is not restored in these callbacks.
 *
 * The patch is per request object, with shared functions (no closures per
 * request), and only where the method is the inherited one.
 */
import type { EventEmitter } from 'node:events';
import { context } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { getCorrelationState, runWithCorrelationState } from '../context/correlation.js';
import type { CorrelationState } from '../context/correlation.js';

type Listener = ((...args: unknown[]) => unknown) & { listener?: Listener };

const kBinding: unique symbol = Symbol('vigil.http.binding');

interface Binding {
  readonly otel: Context;
  readonly correlation: CorrelationState | undefined;
}

interface Bound extends EventEmitter {
  [kBinding]?: Binding;
}

type AddName = 'on' | 'addListener' | 'prependListener';
type AddFn = (this: EventEmitter, event: string | symbol, listener: Listener) => EventEmitter;

/** The inherited (prototype) method, which the instance's own property shadows. */
function inherited(emitter: EventEmitter, name: AddName | 'removeListener'): AddFn {
  return (Object.getPrototypeOf(emitter) as Record<string, AddFn>)[name]!;
}

function wrap(binding: Binding, listener: Listener): Listener {
  const { otel, correlation } = binding;
  const wrapped: Listener = function (this: unknown, ...args: unknown[]) {
    return context.with(otel, () =>
      runWithCorrelationState(correlation, () => listener.apply(this, args)),
    );
  };
  // Node's removeListener and listeners() see through `.listener`, as for once().
  wrapped.listener = listener;
  return wrapped;
}

function add(
  emitter: Bound,
  name: AddName,
  event: string | symbol,
  listener: Listener,
): EventEmitter {
  const binding = emitter[kBinding];
  const fn =
    binding === undefined || typeof listener !== 'function' ? listener : wrap(binding, listener);
  return inherited(emitter, name).call(emitter, event, fn);
}

function addOnce(
  emitter: Bound,
  name: 'on' | 'prependListener',
  event: string | symbol,
  listener: Listener,
): EventEmitter {
  const binding = emitter[kBinding];
  if (binding === undefined || typeof listener !== 'function') {
    return inherited(emitter, name).call(emitter, event, listener);
  }
  const inner = wrap(binding, listener);
  // once() by hand, so that `.listener` is the caller's function.
  const once: Listener = function (this: unknown, ...args: unknown[]) {
    inherited(emitter, 'removeListener').call(emitter, event, once);
    return inner.apply(this, args);
  };
  once.listener = listener;
  return inherited(emitter, name).call(emitter, event, once);
}

function boundOn(this: Bound, event: string | symbol, listener: Listener): EventEmitter {
  return add(this, 'on', event, listener);
}
function boundAddListener(this: Bound, event: string | symbol, listener: Listener): EventEmitter {
  return add(this, 'addListener', event, listener);
}
function boundPrependListener(
  this: Bound,
  event: string | symbol,
  listener: Listener,
): EventEmitter {
  return add(this, 'prependListener', event, listener);
}
function boundOnce(this: Bound, event: string | symbol, listener: Listener): EventEmitter {
  return addOnce(this, 'on', event, listener);
}
function boundPrependOnce(this: Bound, event: string | symbol, listener: Listener): EventEmitter {
  return addOnce(this, 'prependListener', event, listener);
}

const PATCHES = [
  ['on', boundOn],
  ['addListener', boundAddListener],
  ['prependListener', boundPrependListener],
  ['once', boundOnce],
  ['prependOnceListener', boundPrependOnce],
] as const;

/**
 * Makes listeners added to `emitter` from now on run in the OpenTelemetry
 * context and log correlation active at this call. `removeListener`/`off`
 * with the original function still work. Skipped, harmlessly, when the
 * emitter already has its own versions of these methods.
 */
export function bindListenersToContext(emitter: EventEmitter): void {
  const target = emitter as Bound;
  if (target[kBinding] !== undefined) return;
  for (const [name] of PATCHES) {
    if (Object.prototype.hasOwnProperty.call(target, name)) return;
  }
  target[kBinding] = { otel: context.active(), correlation: getCorrelationState() };
  for (const [name, fn] of PATCHES) (target as unknown as Record<string, unknown>)[name] = fn;
}
