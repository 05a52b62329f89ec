// The write-ahead journal's own promises: what a crashed process left is replayed in order
// (a torn last line dropped, a damaged one refused loudly), segments go once committed and
// stay when a write failed, and a second live gateway cannot take over the journal.

import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptWrite } from '../sql/attempts.js';
import { finish, start } from '../test-support/fixtures.js';
import { AttemptJournal } from './attempt-journal.js';
import { decodeWrite, encodeWrite } from './journal-lines.js';

let dir = '';
const journals: AttemptJournal[] = [];
afterEach(() => {
  for (const j of journals.splice(0)) j.close(false);
  rmSync(dir, { recursive: true, force: true });
});

function open(segmentBytes?: number): AttemptJournal {
  const j = new AttemptJournal(join(dir, 'ledger.db'), { sync: false, ...(segmentBytes ? { segmentBytes } : {}) });
  journals.push(j);
  return j;
}
const segments = (): string[] => readdirSync(dir).filter((f) => /attempt-journal\.\d+$/.test(f)).sort();
const begin = (requestId: string): AttemptWrite => ({ kind: 'begin', start: start({ requestId }) });
const end = (requestId: string): AttemptWrite => ({ kind: 'finish', finish: finish({ requestId }) });

describe('attempt write-ahead journal', () => {
  it('a later process gets every acknowledged write back, in order, and a torn last line is dropped', async () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-journal-'));
    const first = open();
    await Promise.all([first.append(begin('a')), first.append(begin('b'))]);
    await first.append(end('a'));
    // The process dies inside a write: half a line, never acknowledged.
    appendFileSync(join(dir, segments()[0]!), 'b["req-c",1,nu');
    first.close(false); // no clean shutdown: the segment stays
    const next = open();
    expect(next.leftover()).toEqual([begin('a'), begin('b'), end('a')]);
    next.dropLeftover();
    expect(segments()).toEqual([]);
  });

  it("a turn's first begin is on disk when append returns (no fsync): with the finishes queued before it, in order; finishes alone wait for the turn", async () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-journal-'));
    const j = open();
    const lines = (): string[] => (segments().length ? readFileSync(join(dir, segments()[0]!), 'utf8').split('\n').filter(Boolean) : []);
    const finished = j.append(end('a'));
    expect(finished).toBeInstanceOf(Promise);
    expect(lines()).toEqual([]);
    // The begin's upstream call waits on it, so it is written now, and the queued finish with it.
    expect(j.append(begin('b'))).toBeUndefined();
    expect(lines()).toEqual([encodeWrite(end('a')), encodeWrite(begin('b'))]);
    await finished;
    const later = j.append(end('b'));
    expect(lines()).toHaveLength(2);
    await later;
    expect(lines().map(decodeWrite)).toEqual([end('a'), begin('b'), end('b')]);
  });

  it("a turn's later begins share the turn's one write, and the next turn's first begin is written at once again", async () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-journal-'));
    const j = open();
    const lines = (): string[] => (segments().length ? readFileSync(join(dir, segments()[0]!), 'utf8').split('\n').filter(Boolean) : []);
    expect(j.append(begin('a'))).toBeUndefined();
    const b = j.append(begin('b'));
    const c = j.append(begin('c'));
    expect(b).toBeInstanceOf(Promise);
    expect(c).toBe(b);
    expect(lines().map(decodeWrite)).toEqual([begin('a')]);
    await b;
    expect(lines().map(decodeWrite)).toEqual([begin('a'), begin('b'), begin('c')]);
    expect(j.append(begin('d'))).toBeUndefined();
    expect(lines()).toHaveLength(4);
  });

  it('with fsync a begin waits for the turn, so the turn still pays one fdatasync', async () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-journal-'));
    const j = new AttemptJournal(join(dir, 'ledger.db'), { sync: true });
    journals.push(j);
    const a = j.append(begin('a'));
    const b = j.append(begin('b'));
    expect(a).toBe(b);
    expect(segments()).toEqual([]);
    await a;
    expect(readFileSync(join(dir, segments()[0]!), 'utf8').split('\n').filter(Boolean).map(decodeWrite)).toEqual([begin('a'), begin('b')]);
  });

  it('a line gives back exactly the write it was made from: nulls stay null, a decision keeps its bytes', () => {
    const writes: AttemptWrite[] = [
      begin('a'),
      { kind: 'begin', start: start({ requestId: 'b\t"x"\n', decision: null, tenantId: null, keyId: null, contractVersion: null, clientRequestId: 'c-1' }) },
      { kind: 'begin', start: start({ decision: '{"note":"tab\\there","ranked":["a","b"]}' }) },
      { kind: 'begin', start: start({ decision: 'raw\ttab and raw\nnewline' }) },
      end('a'),
      { kind: 'finish', finish: finish({ status: 'failed', firstByteAt: null, httpStatus: 503, failureKind: 'upstream_5xx', promptTokens: null, completionTokens: null, usageSource: null, listCostUsd: null, effectiveCostUsd: null }) },
    ];
    for (const w of writes) {
      const line = encodeWrite(w);
      expect(line).not.toMatch(/\n/);
      expect(decodeWrite(line)).toEqual(w);
    }
  });

  it('a damaged line in the middle stops the start-up with the file named, instead of skipping attempts', () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-journal-'));
    writeFileSync(join(dir, 'ledger.db.attempt-journal.00000001'), `${encodeWrite(begin('a'))}\nGARBAGE\n${encodeWrite(begin('b'))}\n`);
    expect(() => open().leftover()).toThrow(/attempt-journal\.00000001: line 2 .*damaged/);
  });

  it('full segments are deleted once the database has every write in them, and kept after a failed write', async () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-journal-'));
    const j = open(1); // every turn's append fills a segment
    await j.append(begin('a'));
    await j.append(begin('b'));
    await j.append(begin('c'));
    expect(segments()).toHaveLength(3);
    j.committed(1, false);
    expect(segments()).toHaveLength(2);
    j.committed(2, true); // the third write failed to reach the database
    j.committed(3, false);
    expect(segments()).toHaveLength(2);
    j.close(true);
    expect(segments()).toHaveLength(2);
    expect(open().leftover()).toEqual([begin('b'), begin('c')]);
  });

  it('a clean close after everything committed leaves no journal behind', async () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-journal-'));
    const j = open();
    await j.append(begin('a'));
    j.close(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a second gateway on the same ledger file is refused while the first is alive; a dead one is taken over', () => {
    dir = mkdtempSync(join(tmpdir(), 'treaty-journal-'));
    const lock = join(dir, 'ledger.db.attempt-journal.lock');
    writeFileSync(lock, `${process.ppid}\n`); // a live process that is not us
    expect(() => open()).toThrow(`another Treaty process (pid ${process.ppid}) is serving from this SQLite ledger`);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lock, `${gone}\n`);
    expect(() => open()).not.toThrow();
  });
});
