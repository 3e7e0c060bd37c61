/**
 * The OpenTelemetry context manager `startTracing` registers: OpenTelemetry's
 * own `AsyncLocalStorageContextManager`, kept for its `bind()` (functions
 * and event emitters), with the active context stored in the SDK's one
 * async-local store next to the correlation fields (see `ContextFrame` in
 * `context/correlation.ts`) instead of in a store of its own.
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { activeFrame, enterFrame, runInFrame } from '../context/correlation.js';

let registered = 0;

/**
 * Whether a {@link VigilContextManager} is enabled, so that the active
 * OpenTelemetry context lives in the SDK's frames (the HTTP instrumentation
 * then sets the span context and the request id with one store update).
 *
 * @internal
 */
export function frameContextEnabled(): boolean {
  return registered > 0;
}

/**
 * An OpenTelemetry `ContextManager` on the SDK's async-local store.
 * Behaves as `AsyncLocalStorageContextManager`; `with()` keeps the active
 * correlation fields, and `runWithCorrelation` keeps the active context.
 */
export class VigilContextManager extends AsyncLocalStorageContextManager {
  private enabled = false;

  override active(): Context {
    return (activeFrame()?.otel as Context | undefined) ?? ROOT_CONTEXT;
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const cb = (thisArg == null ? fn : fn.bind(thisArg)) as (...a: A) => ReturnType<F>;
    return runInFrame({ otel: context, correlation: activeFrame()?.correlation }, cb, ...args);
  }

  override attach(context: Context): { dispose(): void } {
    const previous = activeFrame();
    enterFrame({ otel: context, correlation: previous?.correlation });
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        enterFrame(previous);
      },
    };
  }

  override enable(): this {
    if (!this.enabled) {
      this.enabled = true;
      registered++;
    }
    return this;
  }

  /**
   * Stops answering for the SDK's frames. The store is shared with the
   * correlation fields, so it is not cleared; contexts left in frames are no
   * longer read once the global context manager is unregistered.
   */
  override disable(): this {
    if (this.enabled) {
      this.enabled = false;
      registered--;
    }
    return this;
  }
}
