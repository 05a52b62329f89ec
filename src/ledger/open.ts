// Picks the ledger implementation from a URL. The drivers are imported lazily so a SQLite
// deployment never loads pg, and the reverse.

import type { LedgerStore } from './store.js';
import type { SqliteLedgerOptions } from './sqlite/open-sqlite.js';
import type { PostgresLedgerOptions } from './postgres/open-postgres.js';

export type LedgerOptions = SqliteLedgerOptions & PostgresLedgerOptions;

/**
 * 'sqlite:/path/to.db' (or 'sqlite:relative.db', 'sqlite:///abs.db'), 'sqlite::memory:',
 * 'postgres://user@host:5432/db[?schema=name]' (also 'postgresql://'). The store is not
 * migrated: call `migrate()` before use.
 */
export async function openLedger(url: string, opts: LedgerOptions = {}): Promise<LedgerStore> {
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw new Error('ledger URL: sqlite needs a path, e.g. sqlite:./treaty.db or sqlite::memory:');
    const { openSqliteLedger } = await import('./sqlite/open-sqlite.js');
    return openSqliteLedger(path, opts);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgresLedger } = await import('./postgres/open-postgres.js');
    return openPostgresLedger(url, opts);
  }
  // Do not echo the URL: it may carry a password.
  throw new Error('ledger URL must start with sqlite: or postgres:// (e.g. sqlite:./treaty.db, sqlite::memory:, postgres://user@host/db)');
}
