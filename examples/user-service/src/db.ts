import Database from 'better-sqlite3';
import { instrumentSqlite, type DbInstrumentationOptions } from '@vigil/sdk';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** A user as the API returns it. */
export interface User {
  id: number;
  name: string;
  email: string;
  created_at: string;
}

/** The users store: a SQLite file through better-sqlite3. */
export interface UserStore {
  /** The user with `id`, or undefined. Throws when the database fails. */
  get(id: number): User | undefined;
  /** Runs a trivial query; throws when the database is unusable (health check). */
  ping(): void;
  /** Closes the file. */
  close(): void;
}

const SEED_USERS: ReadonlyArray<[string, string]> = [
  ['Ada Lovelace', 'ada@example.com'],
  ['Grace Hopper', 'grace@example.com'],
  ['Alan Turing', 'alan@example.com'],
  ['Edsger Dijkstra', 'edsger@example.com'],
  ['Barbara Liskov', 'barbara@example.com'],
  ['Margaret Hamilton', 'margaret@example.com'],
  ['Ken Thompson', 'ken@example.com'],
  ['Frances Allen', 'frances@example.com'],
  ['Donald Knuth', 'donald@example.com'],
  ['Radia Perlman', 'radia@example.com'],
];

/**
 * Opens (creating and seeding if new) the users database at `path`, in WAL
 * mode so that concurrent readers never block. Every query is instrumented
 * (`db_queries_total`, `db_query_duration_seconds`, a client span, slow-query
 * warnings); `instrumentation` overrides what `init()` set up.
 */
export function openUserStore(
  path: string,
  instrumentation: DbInstrumentationOptions = {},
): UserStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = instrumentSqlite(new Database(path), instrumentation);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 2000');
  db.exec(`CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
  )`);
  const count = db.prepare('SELECT count(*) AS n FROM users').get() as { n: number };
  if (count.n === 0) {
    const insert = db.prepare('INSERT INTO users (name, email) VALUES (?, ?)');
    db.transaction(() => {
      for (const [name, email] of SEED_USERS) insert.run(name, email);
    })();
  }
  const byId = db.prepare<[number], User>(
    'SELECT id, name, email, created_at FROM users WHERE id = ?',
  );
  const ping = db.prepare('SELECT 1');
  return {
    get: (id) => byId.get(id),
    ping: () => {
      ping.get();
    },
    close: () => db.close(),
  };
}
