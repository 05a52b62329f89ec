// Child process for the SIGKILL durability test: writes attempts to a SQLite ledger as fast
// as it can and prints each request id on stdout once its beginAttempt resolved (that is,
// once its batch committed, or, with 'journal', once it was in the write-ahead journal), and
// 'finished <id>' once an attempt's finishAttempt resolved true. The parent kills it
// mid-stream with SIGKILL.

import { openLedger } from '../open.js';
import { finish, start } from './fixtures.js';

const [file, durability, journal] = process.argv.slice(2);
if (!file) throw new Error('usage: kill-writer.ts <db-file> [process|power] [journal]');
const store = await openLedger(`sqlite:${file}`, { durability: durability === 'power' ? 'power' : 'process', writeAheadJournal: journal === 'journal' });
await store.migrate();
process.stdout.write('ready\n');
for (let round = 0; ; round++) {
  const ids = Array.from({ length: 64 }, (_, i) => `kill-${round}-${i}`);
  await Promise.all(
    ids.map(async (requestId, i) => {
      await store.beginAttempt(start({ requestId }));
      process.stdout.write(`${requestId}\n`);
      // Every other attempt also finishes (its finish acknowledged once committed), so the kill
      // finds both attempts still open and attempts whose begin and finish went in together.
      if (i % 2 === 0) {
        if (await store.finishAttempt(finish({ requestId }))) process.stdout.write(`finished ${requestId}\n`);
      }
    }),
  );
}
