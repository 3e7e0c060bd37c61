/**
 * Diagnostics of the SDK itself: how Vigil reports its own trouble (a metric
 * over its cardinality limit, a failing collect callback, a misuse in
 * production) without ever throwing into the host application.
 *
 * Until a sink is installed (the logger does so), messages go to
 * `process.emitWarning`, once per key, so that nothing is silently lost.
 */

/** Where SDK diagnostics go; a pino logger satisfies it. */
export interface DiagnosticSink {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

let sink: DiagnosticSink | undefined;
const onceKeys = new Set<string>();
const MAX_ONCE_KEYS = 10_000;

/** Installs the sink for SDK diagnostics (pass `undefined` to restore the default). */
export function setDiagnosticSink(next: DiagnosticSink | undefined): void {
  sink = next;
}

function emit(level: 'warn' | 'error', fields: Record<string, unknown>, message: string): void {
  try {
    if (sink !== undefined) {
      sink[level]({ component: 'vigil', ...fields }, message);
    } else {
      const code = typeof fields.code === 'string' ? fields.code : undefined;
      process.emitWarning(message, { type: 'VigilWarning', ...(code ? { code } : {}) });
    }
  } catch {
    // A broken sink must never break the host.
  }
}

/** Reports a warning. `fields.code` should carry a stable error code. */
export function diagWarn(fields: Record<string, unknown>, message: string): void {
  emit('warn', fields, message);
}

/** Reports an error the SDK recovered from. */
export function diagError(fields: Record<string, unknown>, message: string): void {
  emit('error', fields, message);
}

/**
 * Reports a warning only the first time `key` is seen (for example one
 * cardinality warning per metric). The set of keys is bounded.
 */
export function diagWarnOnce(key: string, fields: Record<string, unknown>, message: string): void {
  if (onceKeys.has(key)) return;
  if (onceKeys.size >= MAX_ONCE_KEYS) onceKeys.clear();
  onceKeys.add(key);
  emit('warn', fields, message);
}

/** Forgets which once-only warnings were reported (for tests). */
export function resetDiagnosticsOnce(): void {
  onceKeys.clear();
}
