/**
 * What a SQL text says cheaply about itself: its operation (the leading
 * verb, a bounded set usable as a metric label) and, for simple
 * single-table statements, the table (for span names). A small lexer skips
 * comments, string literals, quoted identifiers and dollar quotes; it never
 * looks at more than {@link MAX_SQL_SCAN_CHARS} characters, and results are
 * cached per text.
 */

/** Operation of a query whose leading verb is missing or not in {@link SQL_OPERATIONS}. */
export const OTHER_OPERATION = 'OTHER';

/**
 * The statement verbs kept as the `operation` label (upper case). Any other
 * leading word, or none, becomes {@link OTHER_OPERATION}, so the label has a
 * bounded set of values whatever SQL the application sends. `WITH` is
 * replaced by the main statement's verb when it is found; `ANALYSE` is
 * reported as `ANALYZE`.
 */
export const SQL_OPERATIONS: readonly string[] = Object.freeze([
  // Data
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'REPLACE',
  'VALUES',
  'TABLE',
  'WITH',
  'COPY',
  'CALL',
  'DO',
  'EXPLAIN',
  // Transactions
  'BEGIN',
  'START',
  'COMMIT',
  'END',
  'ROLLBACK',
  'ABORT',
  'SAVEPOINT',
  'RELEASE',
  'PREPARE',
  'EXECUTE',
  'DEALLOCATE',
  'LOCK',
  // Cursors and notifications
  'DECLARE',
  'FETCH',
  'MOVE',
  'CLOSE',
  'LISTEN',
  'NOTIFY',
  'UNLISTEN',
  // Session
  'SET',
  'RESET',
  'SHOW',
  'DISCARD',
  'USE',
  'DESCRIBE',
  // Schema and maintenance
  'CREATE',
  'ALTER',
  'DROP',
  'TRUNCATE',
  'GRANT',
  'REVOKE',
  'COMMENT',
  'ANALYZE',
  'VACUUM',
  'REINDEX',
  'CLUSTER',
  'REFRESH',
  'CHECKPOINT',
  'LOAD',
  'IMPORT',
  // SQLite
  'PRAGMA',
  'ATTACH',
  'DETACH',
]);

/** Most characters of a SQL text the lexer reads; the rest is not looked at. */
export const MAX_SQL_SCAN_CHARS = 16_384;

/** Longest table name reported; longer ones are not reported at all. */
const MAX_COLLECTION_CHARS = 128;
/** Longest keyword we compare (`CHECKPOINT`, `INTERSECT`); longer words are never keywords. */
const MAX_KEYWORD_CHARS = 12;
/** Texts up to this long are cached; longer ones are summarised afresh (cheaply: the scan is bounded). */
const MAX_CACHED_TEXT_CHARS = 8_192;
const MAX_CACHE_ENTRIES = 512;

/** What {@link summarizeSql} found out about a SQL text. */
export interface SqlSummary {
  /** The verb, one of {@link SQL_OPERATIONS} or {@link OTHER_OPERATION}. */
  readonly operation: string;
  /**
   * The one table a simple statement works on (`users`, `public.users`),
   * or undefined when there is none, several, a subquery, or it is not
   * cheap to tell.
   */
  readonly collection: string | undefined;
}

const KNOWN = new Set(SQL_OPERATIONS);
/** Verbs after which a table name is looked for. */
const TABLE_VERBS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE']);
/** Verbs that may follow a WITH clause. */
const MAIN_VERBS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE']);
/** Words that end a FROM list (after them a comma no longer means "another table"). */
const FROM_LIST_END = new Set([
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'FETCH',
  'FOR',
  'WINDOW',
  'RETURNING',
  'SET',
  'ON',
]);
/** Words that mean another table takes part. */
const MULTI_TABLE = new Set(['JOIN', 'UNION', 'INTERSECT', 'EXCEPT', 'LATERAL']);

// Token kinds.
const END = 0;
const WORD = 1;
const QUOTED = 2;
const OPEN = 3;
const CLOSE = 4;
const COMMA = 5;
const SEMI = 6;
const DOT = 7;
const OTHER = 8;
type Token = typeof END | typeof WORD | typeof QUOTED | typeof OPEN | typeof CLOSE;
type AnyToken = Token | typeof COMMA | typeof SEMI | typeof DOT | typeof OTHER;

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
}

/** A minimal SQL lexer (PostgreSQL and SQLite syntax) over a bounded prefix of the text. */
class Lexer {
  pos = 0;
  /** Text of the last WORD or QUOTED token. */
  value = '';
  readonly end: number;
  /** True when the text is longer than what is scanned. */
  readonly truncated: boolean;

  constructor(private readonly text: string) {
    this.end = Math.min(text.length, MAX_SQL_SCAN_CHARS);
    this.truncated = text.length > MAX_SQL_SCAN_CHARS;
  }

  next(): AnyToken {
    const text = this.text;
    const end = this.end;
    while (this.pos < end) {
      const c = text.charCodeAt(this.pos);
      if (c <= 32) {
        this.pos++;
      } else if (c === 45 /* - */ && text.charCodeAt(this.pos + 1) === 45) {
        const nl = text.indexOf('\n', this.pos + 2);
        this.pos = nl === -1 || nl > end ? end : nl + 1;
      } else if (c === 47 /* / */ && text.charCodeAt(this.pos + 1) === 42 /* * */) {
        this.skipBlockComment();
      } else if (c === 39 /* ' */) {
        this.skipString(false);
        return OTHER;
      } else if (c === 34 /* " */ || c === 96 /* ` */) {
        return this.quoted(c);
      } else if (c === 36 /* $ */) {
        this.dollar();
        return OTHER;
      } else if (isIdentStart(c)) {
        const start = this.pos;
        this.pos++;
        while (this.pos < end && isIdentPart(text.charCodeAt(this.pos))) this.pos++;
        // E'...' is a PostgreSQL string with backslash escapes.
        if (this.pos - start === 1 && (c === 69 || c === 101) && text.charCodeAt(this.pos) === 39) {
          this.skipString(true);
          return OTHER;
        }
        this.value = text.slice(start, this.pos);
        return WORD;
      } else {
        this.pos++;
        switch (c) {
          case 40:
            return OPEN;
          case 41:
            return CLOSE;
          case 44:
            return COMMA;
          case 59:
            return SEMI;
          case 46:
            return DOT;
          default:
            // Digits, operators, parameters (?, :name, @name): nothing we need.
            while (this.pos < end && c >= 48 && c <= 57 && isIdentPart(text.charCodeAt(this.pos))) {
              this.pos++;
            }
            return OTHER;
        }
      }
    }
    return END;
  }

  /** Skips a block comment; PostgreSQL's nest. */
  private skipBlockComment(): void {
    const text = this.text;
    let depth = 0;
    while (this.pos < this.end) {
      const c = text.charCodeAt(this.pos);
      if (c === 47 && text.charCodeAt(this.pos + 1) === 42) {
        depth++;
        this.pos += 2;
      } else if (c === 42 && text.charCodeAt(this.pos + 1) === 47) {
        depth--;
        this.pos += 2;
        if (depth === 0) return;
      } else {
        this.pos++;
      }
    }
  }

  /** Skips a '...' literal ('' is a quote; with `backslash`, \x escapes too). */
  private skipString(backslash: boolean): void {
    const text = this.text;
    this.pos++;
    while (this.pos < this.end) {
      const c = text.charCodeAt(this.pos++);
      if (backslash && c === 92) this.pos++;
      else if (c === 39) {
        if (text.charCodeAt(this.pos) !== 39) return;
        this.pos++;
      }
    }
  }

  /** A "..." or `...` identifier; a doubled quote stands for itself. */
  private quoted(quote: number): AnyToken {
    const text = this.text;
    const q = String.fromCharCode(quote);
    let value = '';
    let from = ++this.pos;
    while (this.pos < this.end) {
      if (text.charCodeAt(this.pos) !== quote) {
        this.pos++;
        continue;
      }
      value += text.slice(from, this.pos);
      this.pos++;
      if (text.charCodeAt(this.pos) !== quote) {
        this.value = value;
        return QUOTED;
      }
      value += q;
      from = ++this.pos;
    }
    return OTHER; // unterminated
  }

  /** `$1` (a parameter) or a dollar-quoted string `$tag$...$tag$` (skipped). */
  private dollar(): void {
    const text = this.text;
    const start = this.pos++;
    let c = text.charCodeAt(this.pos);
    if (c >= 48 && c <= 57) {
      while (this.pos < this.end && isIdentPart(text.charCodeAt(this.pos))) this.pos++;
      return;
    }
    while (this.pos < this.end && isIdentPart((c = text.charCodeAt(this.pos))) && c !== 36) {
      this.pos++;
    }
    if (text.charCodeAt(this.pos) !== 36) return; // a lone $, e.g. in an operator
    const tag = text.slice(start, ++this.pos);
    const close = text.indexOf(tag, this.pos);
    this.pos = close === -1 || close + tag.length > this.end ? this.end : close + tag.length;
  }
}

/** Upper-cased word, or '' when it is too long to be a keyword. */
function keyword(word: string): string {
  return word.length > MAX_KEYWORD_CHARS ? '' : word.toUpperCase();
}

/** The verb of the statement a WITH clause belongs to, or undefined. */
function verbAfterWith(lx: Lexer): string | undefined {
  let depth = 0;
  for (let t = lx.next(); t !== END; t = lx.next()) {
    if (t === OPEN) depth++;
    else if (t === CLOSE) depth--;
    else if (depth === 0 && t === SEMI) return undefined;
    else if (depth === 0 && t === WORD) {
      const kw = keyword(lx.value);
      if (MAIN_VERBS.has(kw)) return kw;
    }
  }
  return undefined;
}

/** A possibly qualified name after FROM/INTO/UPDATE, or undefined when it is not a plain name. */
function readName(lx: Lexer, first: string): string | undefined {
  let name = first;
  for (;;) {
    const save = lx.pos;
    if (lx.next() !== DOT) {
      lx.pos = save;
      break;
    }
    const t = lx.next();
    if (t !== WORD && t !== QUOTED) return undefined;
    name += '.' + lx.value;
  }
  return name.length > MAX_COLLECTION_CHARS ? undefined : name;
}

/**
 * The single table a statement reads or writes, or undefined. Conservative:
 * any subquery, join, set operation, second FROM item or second statement
 * gives undefined.
 */
function singleTable(lx: Lexer, verb: string): string | undefined {
  let table: string | undefined;
  /** The keyword whose table name comes next ('' when none is expected). */
  let expect = verb === 'UPDATE' ? 'UPDATE' : '';
  let inFromList = false;
  let depth = 0;
  let afterOpen = false;
  let previous = '';
  for (;;) {
    const t = lx.next();
    if (t === END) return lx.truncated ? undefined : table;
    const opened = afterOpen;
    afterOpen = t === OPEN;
    if (t === OPEN) {
      // A subquery or table function where a table name was expected.
      if (expect !== '' && expect !== 'INTO') return undefined;
      depth++;
      continue;
    }
    if (t === CLOSE) {
      if (--depth < 0) return undefined;
      continue;
    }
    if (depth > 0) {
      if (opened && t === WORD && MAIN_VERBS.has(keyword(lx.value))) return undefined;
      if (opened && t === WORD && keyword(lx.value) === 'WITH') return undefined;
      continue;
    }
    if (t === SEMI) return lx.next() === END && !lx.truncated ? table : undefined;
    if (expect !== '') {
      if (t !== WORD && t !== QUOTED) return undefined;
      if (t === WORD) {
        const kw = keyword(lx.value);
        // UPDATE ONLY t, DELETE FROM ONLY t; SQLite's UPDATE OR IGNORE t.
        if (kw === 'ONLY') continue;
        if (kw === 'OR' && expect === 'UPDATE') {
          lx.next();
          continue;
        }
        if (MULTI_TABLE.has(kw)) return undefined;
      }
      if (table !== undefined) return undefined;
      table = readName(lx, lx.value);
      if (table === undefined) return undefined;
      if (expect === 'FROM') {
        inFromList = true;
        // name( after FROM is a table function, not a table.
        const save = lx.pos;
        if (lx.next() === OPEN) return undefined;
        lx.pos = save;
      }
      expect = '';
      continue;
    }
    if (t === COMMA) {
      if (inFromList) return undefined;
      continue;
    }
    if (t !== WORD) continue;
    const kw = keyword(lx.value);
    if (kw === 'FROM') {
      if (previous !== 'DISTINCT') expect = 'FROM';
    } else if (kw === 'INTO') {
      // SELECT ... INTO creates a table: not a simple read.
      if (verb === 'SELECT') return undefined;
      expect = 'INTO';
    } else if (kw === 'USING' || MULTI_TABLE.has(kw)) {
      return undefined;
    } else if (
      kw === 'VALUES' &&
      table !== undefined &&
      (verb === 'INSERT' || verb === 'REPLACE')
    ) {
      // The rest is rows of values: stop here, so that a bulk INSERT is cheap.
      return table;
    } else if (FROM_LIST_END.has(kw)) {
      inFromList = false;
    }
    previous = kw;
  }
}

function analyze(text: string): SqlSummary {
  const lx = new Lexer(text);
  let t = lx.next();
  let parenthesised = false;
  // Skip what may come before the verb: "(SELECT ...) UNION ...", stray ';'.
  while (t === OPEN || t === SEMI) {
    if (t === OPEN) parenthesised = true;
    t = lx.next();
  }
  if (t !== WORD) return OTHER_SUMMARY;
  let verb = keyword(lx.value);
  if (!KNOWN.has(verb))
    return verb === 'ANALYSE' ? { operation: 'ANALYZE', collection: undefined } : OTHER_SUMMARY;
  if (verb === 'WITH') {
    verb = verbAfterWith(lx) ?? 'WITH';
    return { operation: verb, collection: undefined };
  }
  if (parenthesised || !TABLE_VERBS.has(verb)) return { operation: verb, collection: undefined };
  return { operation: verb, collection: singleTable(lx, verb) };
}

const OTHER_SUMMARY: SqlSummary = Object.freeze({
  operation: OTHER_OPERATION,
  collection: undefined,
});
const cache = new Map<string, SqlSummary>();

/**
 * The operation and, for a simple single-table statement, the table of a
 * SQL text. Leading whitespace, comments (`--`, nested `/* *\/`) and
 * parentheses are skipped; a text with no known verb (empty, garbage, not a
 * string) gives {@link OTHER_OPERATION}. Never throws; reads at most
 * {@link MAX_SQL_SCAN_CHARS} characters; results for texts up to 8 KiB are
 * cached (512 entries, oldest evicted first). Parameters are not seen.
 * Safe to call from anywhere, any number of times.
 */
export function summarizeSql(text: unknown): SqlSummary {
  if (typeof text !== 'string') return OTHER_SUMMARY;
  const cached = cache.get(text);
  if (cached !== undefined) return cached;
  let summary: SqlSummary;
  try {
    summary = analyze(text);
  } catch {
    summary = OTHER_SUMMARY; // defensive: a lexer bug must not reach the host
  }
  if (text.length <= MAX_CACHED_TEXT_CHARS) {
    if (cache.size >= MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(text, summary);
  }
  return summary;
}

/** The operation of a SQL text: {@link summarizeSql}`(text).operation`. */
export function sqlOperation(text: unknown): string {
  return summarizeSql(text).operation;
}
