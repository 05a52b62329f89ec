// Kysely's SQLite driver prepares every statement anew, and profiling the attempt writer
// showed prepare() at about a fifth of its CPU time. The ledger issues a small, fixed set of
// statement shapes, so caching prepared statements by SQL text removes most of that cost.

import type { Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * Wraps a better-sqlite3 handle for Kysely's SqliteDialect with an LRU of prepared
 * statements. Reusing a statement is safe because Kysely runs each one to completion
 * synchronously (all()/run()); only iterate() could leave one busy, and the ledger never
 * streams query results.
 */
export function withStatementCache(db: Database, size = 200): SqliteDatabase {
  const cache = new Map<string, Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string): Statement {
      let stmt = cache.get(sql);
      if (stmt) {
        // Re-insert to mark it most recently used (Map keeps insertion order).
        cache.delete(sql);
      } else {
        stmt = db.prepare(sql);
        if (cache.size >= size) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}
