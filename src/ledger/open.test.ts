import { describe, expect, it } from 'vitest';
import { openLedger } from './open.js';
import { start } from './test-support/fixtures.js';

describe('openLedger', () => {
  it('opens an in-memory SQLite ledger from sqlite::memory:', async () => {
    const store = await openLedger('sqlite::memory:');
    try {
      await store.migrate();
      await store.beginAttempt(start());
      expect(await store.countAttempts({})).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('refuses an unknown scheme without echoing the URL, which may hold a password', async () => {
    await expect(openLedger('mysql://root:hunter2@db/x')).rejects.toThrow(/must start with sqlite: or postgres:\/\//);
    await expect(openLedger('mysql://root:hunter2@db/x')).rejects.not.toThrow(/hunter2/);
    await expect(openLedger('sqlite:')).rejects.toThrow(/needs a path/);
  });

  it('refuses a Postgres schema name that is not a plain lower-case identifier', async () => {
    await expect(openLedger('postgres://u@127.0.0.1:1/db?schema=Bad";drop')).rejects.toThrow(/schema must match/);
  });
});
