/**
 * Lines from fields the caller serialised itself: the access log's fast path.
 *
 * The HTTP instrumentation writes one line per request with a fixed set of
 * keys. Handing pino an object costs a walk over its keys (serializers,
 * redaction, escaping each value) that for a hello-world request is about a
 * tenth of the request's CPU. {@link writeSerializedLine} writes the very
 * line `logger[level](fields, msg)` would write, from members the caller
 * already has as JSON, and refuses (returns false, writes nothing) whenever
 * it could differ: a logger `createLogger` did not make, a child with its own
 * serializers, `log` formatter, redaction or message prefix, a destination that
 * wants pino's per-line metadata, or a redact path that could censor one of
 * the keys. The caller then logs the usual way. The equivalence is tested
 * line for line against pino in `serialized-line.test.ts`.
 *
 * @internal
 */
import { symbols } from 'pino';
import type { Logger } from 'pino';
import { getCorrelationState } from '../context/correlation.js';
import { currentTraceIds } from '../context/trace.js';
import { correlationFragment, setPendingFragment, timeAndCorrelation } from './line-context.js';
import type { LineOwner } from './line-context.js';
import { lookupRedactNode } from './redact.js';
import type { RedactNode } from './redact.js';

/** Symbol under which a Vigil logger keeps its {@link SerializedLineSupport} (children inherit it). */
export const kSerializedLines: unique symbol = Symbol('vigil.log.serializedLines');

/** What `createLogger` set up, to compare a logger (or child) against. */
export interface SerializedLineSupport {
  /** The compiled redact paths. */
  readonly redactRoot: RedactNode;
  /** pino's serializers and stringifiers objects of the root logger (children share them unless they set their own). */
  readonly serializers: unknown;
  readonly stringifiers: unknown;
  /** pino's line end (`}` and the newline). */
  readonly end: unknown;
}

/**
 * The keys a caller may write through {@link writeSerializedLine}, compiled
 * once: whether redaction could touch them is decided once per logger tree.
 */
export class SerializedKeySet {
  private readonly verdicts = new WeakMap<RedactNode, boolean>();

  /**
   * @param keys every key the caller may write; each value must be a JSON
   *   primitive (string, number, boolean or null), never an object or array
   */
  constructor(readonly keys: readonly string[]) {}

  /** Whether no redact path under `root` can censor a primitive value of these keys. */
  unredacted(root: RedactNode): boolean {
    let verdict = this.verdicts.get(root);
    if (verdict === undefined) {
      // A terminal node censors the value itself; a non-terminal one (such as
      // the default `*.password`) only looks inside objects, and these values
      // are primitives.
      verdict = this.keys.every((key) => lookupRedactNode(root, key)?.terminal !== true);
      this.verdicts.set(root, verdict);
    }
    return verdict;
  }
}

type PinoInternals = Logger & LineOwner & Record<symbol, unknown>;

/** pino's message-prefix symbol (pino 10 has it; its type declarations do not list it). */
const msgPrefixSym = (symbols as unknown as Record<string, symbol | undefined>).msgPrefixSym;

/**
 * Writes one line as `logger` would for `logger[level](fields, msg)`, where
 * `membersJson` is the fields already serialised as `"key":value` members
 * joined by commas (in the order pino would write them) and every key is in
 * `keySet`. `explicitKeys` are the keys present, left out of the correlation
 * fragment as pino's path leaves out keys a line names itself. `level` must
 * be enabled on the logger (the caller checked). Returns false, having
 * written nothing, when the logger cannot take this path.
 */
export function writeSerializedLine(
  logger: Logger,
  level: 'info' | 'warn' | 'error',
  keySet: SerializedKeySet,
  explicitKeys: ReadonlySet<string>,
  membersJson: string,
  msgJson: string,
): boolean {
  const target = logger as PinoInternals;
  const support = target[kSerializedLines] as SerializedLineSupport | undefined;
  if (
    support === undefined ||
    target[symbols.serializersSym] !== support.serializers ||
    // Every child gets a formatters object of its own; only a `log`
    // formatter changes the fields (bindings are already in the chindings).
    (target[symbols.formattersSym] as { log?: unknown } | undefined)?.log !== undefined ||
    target[symbols.stringifiersSym] !== support.stringifiers ||
    msgPrefixSym === undefined ||
    target[msgPrefixSym] !== undefined ||
    target[symbols.nestedKeySym] ||
    (target[symbols.hooksSym] as { streamWrite?: unknown } | undefined)?.streamWrite !==
      undefined ||
    !keySet.unredacted(support.redactRoot)
  ) {
    return false;
  }
  const stream = target[symbols.streamSym] as
    { write(line: string): unknown; [key: symbol]: unknown } | undefined;
  if (stream === undefined || stream[symbols.needsMetadataGsym] === true) return false;
  const levelNumber = logger.levels.values[level];
  const prefix = (target[symbols.lsCacheSym] as Record<number, string> | undefined)?.[levelNumber!];
  if (prefix === undefined) return false;

  const state = getCorrelationState();
  const ids = currentTraceIds();
  setPendingFragment(correlationFragment(state, ids, (key) => explicitKeys.has(key), target));
  const line =
    prefix +
    timeAndCorrelation() +
    (target[symbols.chindingsSym] as string) +
    ',' +
    membersJson +
    ',"msg":' +
    msgJson +
    (support.end as string);
  stream.write(line);
  return true;
}
