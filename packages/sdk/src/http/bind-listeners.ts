/**
 * Keeps the request's context alive in its stream events.
 *
 * A request body arrives through `data` and `end` events emitted by the HTTP
 * parser, whose async context was fixed when the connection was read, not
 * when the handler ran: a body parser's callbacks (and every middleware after
 * it) would run without the request's span and request id. Listeners added
 * while the request's context is active are therefore bound to it with
 * `AsyncResource.bind`, which restores every `AsyncLocalStorage` store at
 * once (OpenTelemetry's and the log correlation's).
 */
import { AsyncResource } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';

type Listener = (...args: unknown[]) => void;
type AddMethod = (event: string | symbol, listener: Listener) => EventEmitter;

const kBound: unique symbol = Symbol('vigil.http.boundListeners');

interface Patched extends EventEmitter {
  [kBound]?: WeakMap<Listener, Listener>;
}

function bound(emitter: Patched, listener: Listener): Listener {
  const map = (emitter[kBound] ??= new WeakMap());
  let fn = map.get(listener);
  if (fn === undefined) {
    fn = AsyncResource.bind(listener);
    map.set(listener, fn);
  }
  return fn;
}

function patchAdd(
  emitter: Patched,
  name: 'on' | 'addListener' | 'once' | 'prependListener' | 'prependOnceListener',
): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with .call(this)
  const original = emitter[name] as AddMethod;
  emitter[name] = function (this: Patched, event: string | symbol, listener: Listener) {
    return original.call(
      this,
      event,
      typeof listener === 'function' ? bound(this, listener) : listener,
    );
  } as EventEmitter[typeof name];
}

function patchRemove(emitter: Patched, name: 'off' | 'removeListener'): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with .call(this)
  const original = emitter[name] as AddMethod;
  emitter[name] = function (this: Patched, event: string | symbol, listener: Listener) {
    const fn = typeof listener === 'function' ? this[kBound]?.get(listener) : undefined;
    return original.call(this, event, fn ?? listener);
  } as EventEmitter[typeof name];
}

/**
 * Makes listeners added to `emitter` from now on run in the async context
 * active when they were added. `removeListener`/`off` with the original
 * function still work. Patches the instance only, never a prototype.
 */
export function bindListenersToContext(emitter: EventEmitter): void {
  const target = emitter as Patched;
  patchAdd(target, 'on');
  patchAdd(target, 'addListener');
  patchAdd(target, 'once');
  patchAdd(target, 'prependListener');
  patchAdd(target, 'prependOnceListener');
  patchRemove(target, 'off');
  patchRemove(target, 'removeListener');
}
