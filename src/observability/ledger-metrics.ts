// The ledger's write path on /metrics: how many attempt writes reached the database, how many
// wait, and (SQLite) what the WAL checkpoints cost. Read from the store at a scrape. Why: a
// ledger that falls behind (writes waiting, a WAL that does not start over, writes held for
// checkpoints) is invisible in request metrics until the disk fills or a restart replays minutes
// of journal; these make it a graph and an alert.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { WriteStats } from '../ledger/store.js';

export function registerLedgerMetrics(registry: Registry, read: () => WriteStats | undefined): void {
  const registers = [registry];
  /** A figure from the store's stats at this scrape, when it has one. */
  const figure = (pick: (f: WriteStats) => number | undefined): number | undefined => {
    const f = read();
    return f === undefined ? undefined : pick(f);
  };
  const counter = (name: string, help: string, pick: (f: WriteStats) => number | undefined): void => {
    new Counter({ name, help, registers, collect() {
      const v = figure(pick);
      if (v === undefined) return;
      this.reset();
      this.inc(v);
    } });
  };
  const gauge = (name: string, help: string, pick: (f: WriteStats) => number | undefined): void => {
    new Gauge({ name, help, registers, collect() {
      const v = figure(pick);
      if (v !== undefined) this.set(v);
    } });
  };
  counter('treaty_ledger_attempt_writes_total', 'Attempt writes (write-ahead rows and finishes) committed to the ledger database.', (f) => f.rows);
  counter('treaty_ledger_transactions_total', 'Transactions the attempt writer committed (writes are grouped).', (f) => f.transactions);
  counter('treaty_ledger_attempt_write_failures_total', 'Attempt writes whose commit failed (with the SQLite journal they wait there for the next start).', (f) => f.failedWrites);
  gauge('treaty_ledger_attempt_writes_waiting', 'Attempt writes queued for the next commit.', (f) => f.waiting);
  gauge('treaty_ledger_wal_frames', 'SQLite: 4 KB frames in the write-ahead log at the last checkpoint; one that keeps growing means checkpoints do not complete.', (f) => f.checkpoint?.walFrames);
  counter('treaty_ledger_checkpoints_total', 'SQLite: WAL checkpoints run by the checkpoint worker.', (f) => f.checkpoint?.checkpoints);
  counter('treaty_ledger_checkpoint_holds_total', 'SQLite: checkpoints run with the attempt writes held (the WAL had passed its threshold).', (f) => f.checkpoint?.quiesced);
  counter('treaty_ledger_checkpoint_hold_seconds_total', 'SQLite: time attempt writes (and every other statement on the serving connection) waited for held checkpoints.', (f) => (f.checkpoint ? f.checkpoint.quiescedMs / 1000 : undefined));
  gauge('treaty_ledger_checkpoint_hold_longest_seconds', 'SQLite: the longest single hold since start.', (f) => (f.checkpoint ? f.checkpoint.longestQuiesceMs / 1000 : undefined));
  counter('treaty_ledger_checkpoint_hold_timeouts_total', 'SQLite: holds cut off at their 1 s limit (the checkpoint went on beside the writes).', (f) => f.checkpoint?.quiesceTimeouts);
}
