/**
 * Vigil's default log destination: the lines of one turn of the event loop,
 * written together at the end of the turn.
 *
 * An asynchronous `pino.destination()` hands every chunk to the libuv thread
 * pool and back, which under load costs a few microseconds per line, more
 * than building the line (measured in `bench/src/http.bench.ts`). Here a
 * line is appended to a string; one `setImmediate` per turn writes what
 * gathered with a single synchronous write through sonic-boom (which retries
 * a full non-blocking pipe and opens files). A busy server writes many lines
 * per system call; a quiet one still sees each line by the end of its turn.
 */
import { ErrorCodes } from '@vigil/model';
import { destination as pinoDestination } from 'pino';
import { diagWarnOnce } from '../diag.js';

/** Options of {@link createLogDestination}. */
export interface LogDestinationOptions {
  /**
   * A file descriptor, or the path of a file to append to (its directory is
   * created). Default 1, standard output.
   */
  dest?: number | string;
  /**
   * Characters that may wait for the end of the turn; a line that takes the
   * pending text past this is written at once, with what waits. Default
   * 65536. Bounds the memory a burst of logging holds.
   */
  maxPendingChars?: number;
}

/** The destination {@link createLogDestination} returns; pino calls `write` and `flush`. */
export interface BatchedLogDestination {
  /** Queues a line (one JSON line with its newline) for the end of the turn. */
  write(line: string): void;
  /** Writes what waits now, synchronously. */
  flushSync(): void;
  /** Writes what waits now, then calls `callback` (pino's `logger.flush(cb)` and `flushLogger` use it). */
  flush(callback?: (err?: Error) => void): void;
  /** Writes what waits and closes a file opened from a path (a descriptor passed in stays open). Later lines are dropped. */
  end(): void;
}

/** The default of {@link LogDestinationOptions.maxPendingChars}. */
export const DEFAULT_MAX_PENDING_LOG_CHARS = 65536;

/** Destinations with text that must not be lost when the process exits. */
const live = new Set<WeakRef<LogDestinationImpl>>();
// A destination collected without end() leaves the set too.
const forget = new FinalizationRegistry<WeakRef<LogDestinationImpl>>((ref) => live.delete(ref));
let exitHookInstalled = false;

function flushAllOnExit(): void {
  for (const ref of live) ref.deref()?.flushSync();
}

class LogDestinationImpl implements BatchedLogDestination {
  private pending = '';
  private scheduled = false;
  private ended = false;
  private readonly ref: WeakRef<LogDestinationImpl>;
  private readonly sonic: ReturnType<typeof pinoDestination>;
  private readonly ownsFile: boolean;
  private readonly flushTurn = (): void => {
    this.scheduled = false;
    this.flushSync();
  };

  constructor(
    dest: number | string,
    private readonly maxPendingChars: number,
  ) {
    this.ownsFile = typeof dest === 'string';
    this.sonic = pinoDestination({ dest, sync: true, mkdir: typeof dest === 'string' });
    // A failed write (a closed descriptor, a full disk) drops the lines and
    // says so once; logging never takes the service down.
    this.sonic.on('error', (err: Error) => {
      diagWarnOnce(
        `log-destination:${String(dest)}`,
        { code: ErrorCodes.LOG_WRITE_FAILED, err, dest },
        `Writing log lines to ${typeof dest === 'string' ? dest : `file descriptor ${dest}`} ` +
          `failed (${err.message}); lines are dropped while it fails. Check the destination.`,
      );
    });
    this.ref = new WeakRef(this);
    live.add(this.ref);
    forget.register(this, this.ref, this.ref);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', flushAllOnExit);
    }
  }

  write(line: string): void {
    if (this.ended) return;
    this.pending += line;
    if (this.pending.length > this.maxPendingChars) {
      this.flushSync();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushTurn);
    }
  }

  flushSync(): void {
    const text = this.pending;
    if (text === '') return;
    this.pending = '';
    try {
      this.sonic.write(text);
    } catch (err) {
      // sonic-boom reports write errors as 'error' events; anything thrown
      // (it was ended under us) is reported the same way.
      this.sonic.emit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  flush(callback?: (err?: Error) => void): void {
    this.flushSync();
    if (callback !== undefined) process.nextTick(callback);
  }

  end(): void {
    if (this.ended) return;
    this.flushSync();
    this.ended = true;
    live.delete(this.ref);
    forget.unregister(this.ref);
    if (this.ownsFile) this.sonic.end();
  }
}

/**
 * Creates the destination `createLogger` writes to by default; pass one to
 * `createLogger({ destination })` to log to a file or another descriptor the
 * same way: `createLogger({ service: 'api', destination: createLogDestination({ dest: '/var/log/api.log' }) })`.
 *
 * Lines written during one turn of the event loop are written together at
 * its end, synchronously, in order; on process exit (also `process.exit()`)
 * whatever waits is written first. A slow reader of a pipe slows the
 * process down rather than growing its memory. Write errors are reported
 * once as a `LOG_WRITE_FAILED` diagnostic and the lines dropped; so is a
 * path that cannot be opened for appending. Never throws.
 */
export function createLogDestination(options: LogDestinationOptions = {}): BatchedLogDestination {
  const maxPendingChars = options.maxPendingChars ?? DEFAULT_MAX_PENDING_LOG_CHARS;
  return new LogDestinationImpl(
    options.dest ?? 1,
    Number.isFinite(maxPendingChars) && maxPendingChars >= 0
      ? maxPendingChars
      : DEFAULT_MAX_PENDING_LOG_CHARS,
  );
}
