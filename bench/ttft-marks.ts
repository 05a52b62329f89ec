// The stage marks bench/ttft-breakdown.ts adds to a copy of the tree: Treaty's request path and
// first token, and the pass-through proxy's handler and first content. Each edit sits at an
// anchor (a line of today's code) and must find it exactly once, so a change to the code stops
// the tool with the file named instead of measuring a copy that lacks a mark
// (test/bench-ttft-marks.test.ts checks the anchors against the tree in CI).

import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One edit to the copy: `code` goes before or after the one place `anchor` occurs, or replaces it. */
export interface Edit {
  file: string;
  anchor: string;
  code: string;
  at: 'before' | 'after' | 'replace';
}

const G = '(globalThis as any).__ttft';
/** A stage mark: its name, the clock, and the count of I/O callbacks so far (a change means another request's work ran in between). */
const mark = (name: string): string => `${G}?.marks?.push(['${name}', process.hrtime.bigint(), ${G}.ev]);\n`;

export const TREATY_EDITS: Edit[] = [
  { file: 'src/http/routes.ts', anchor: 'export async function chatCompletions(', at: 'before', code: `${G} ??= { ev: 0, byCtx: new WeakMap() };\n` },
  { file: 'src/http/h1/connection.ts', anchor: '  #onData(d: Buffer): void {\n', at: 'after', code: `{ const g = ${G}; if (g) { g.ev++; g.marks = [['client bytes in', process.hrtime.bigint(), g.ev]]; } }\n` },
  { file: 'src/upstreams/http1/connection.ts', anchor: '  #onData = (data: Buffer): void => {\n', at: 'after', code: `{ const g = ${G}; if (g) { g.ev++; g.upData = process.hrtime.bigint(); } }\n` },
  { file: 'src/upstreams/http1/connection.ts', anchor: 's.write(h.head + body);', at: 'replace', code: `{ s.write(h.head + body); if (${G}) ${G}.upWrite = process.hrtime.bigint(); }` },
  { file: 'src/upstreams/http1/connection.ts', anchor: '      s.uncork();\n', at: 'after', code: `if (${G}) ${G}.upWrite = process.hrtime.bigint();\n` },
  { file: 'src/http/server.ts', anchor: "    const health = req.url === '/healthz' || req.url === '/readyz';\n", at: 'before', code: mark('handler') },
  { file: 'src/http/server.ts', anchor: '    res.exchange = ex;\n', at: 'after', code: mark('request id, signal') },
  { file: 'src/http/routes.ts', anchor: '  const auth = deps.auth.authenticate(ex.req);\n', at: 'before', code: mark('route') },
  { file: 'src/http/routes.ts', anchor: '  const principal = auth instanceof Promise ? await auth : auth;\n', at: 'after', code: mark('key checked') },
  { file: 'src/http/routes.ts', anchor: '  const { value, text } = await readJsonBodyText(ex.req, deps.config.server.maxBodyBytes);\n', at: 'after', code: mark('body read') },
  { file: 'src/http/routes.ts', anchor: '  if (admitted instanceof Promise) admitted = await admitted;\n', at: 'after', code: mark('admitted') },
  { file: 'src/proxy/chat-proxy.ts', anchor: '          const choice = await chooseDeployment(', at: 'before', code: mark('contracts routed') },
  { file: 'src/proxy/chat-proxy.ts', anchor: '              httpReq = await spec.encode(adapter, pool);\n', at: 'before', code: mark('deployment chosen') },
  { file: 'src/proxy/chat-proxy.ts', anchor: '              httpReq = await spec.encode(adapter, pool);\n', at: 'after', code: mark('request encoded') },
  { file: 'src/proxy/attempt.ts', anchor: '    const durable = this.ports.observer?.started(this.trace);\n', at: 'before', code: mark('attempt set up') },
  { file: 'src/proxy/attempt.ts', anchor: '    const durable = this.ports.observer?.started(this.trace);\n', at: 'after', code: mark('write-ahead row journaled') },
  {
    file: 'src/proxy/attempt.ts',
    anchor: '    const res = await this.ports.transport.send(baseUrl, httpReq, this.cancel);\n',
    at: 'replace',
    code:
      '    const sending = this.ports.transport.send(baseUrl, httpReq, this.cancel);\n' +
      `    { const g = ${G}; if (g?.marks) { g.marks.push(['upstream request written', g.upWrite, g.ev]); g.byCtx.set(this.ctx, { marks: g.marks, m2: [] }); g.marks = undefined; } }\n` +
      '    const res = await sending;\n' +
      `    { const t = ${G}?.byCtx.get(this.ctx); if (t) t.head = ${G}.upData; }\n`,
  },
  { file: 'src/proxy/attempt.ts', anchor: '        trace.firstTokenAt = ports.now();\n', at: 'after', code: `{ const t = ${G}?.byCtx.get(ctx); if (t) t.first = ${G}.upData; }\n` },
  {
    file: 'src/http/routes.ts',
    anchor: '    const renderer = new ChunkRenderer(',
    at: 'before',
    code: `{ const t = ${G}?.byCtx.get(ctx); ` + "if (t) headers['x-ttft-marks'] = [...t.marks.map((m: any) => `${m[0]}=${m[1]}@${m[2]}`), `upstream head in=${t.head}@`, `first token in=${t.first}@`, ...t.m2.map((m: any) => `${m[0]}=${m[1]}@`), `answer starts=${process.hrtime.bigint()}@`].join(';'); }\n",
  },
  // The write-ahead row's parts: its line encoded, and the journal's write() (the first begin of a turn is written at once).
  { file: 'src/ledger/sqlite/attempt-journal.ts', anchor: '    this.#lines.push(encodeWrite(w));\n', at: 'before', code: mark('journal append') },
  { file: 'src/ledger/sqlite/attempt-journal.ts', anchor: '    this.#lines.push(encodeWrite(w));\n', at: 'after', code: mark('line encoded') },
  { file: 'src/ledger/sqlite/attempt-journal.ts', anchor: '      const err = this.#write();\n', at: 'after', code: mark('journal write()') },
  // After the first token: its decode, then the way back through the attempt, failover and chat to the route.
  { file: 'src/proxy/attempt.ts', anchor: '    scope.upstreamDone();\n    const idleMs', at: 'before', code: `{ const t = ${G}?.byCtx.get(ctx); t?.m2.push(['first token decoded', process.hrtime.bigint()]); }\n` },
  { file: 'src/proxy/attempt.ts', anchor: "    return { ok: true, kind: 'stream', head: res.head, events: new AttemptEvents(buffered, it, scope) };\n", at: 'before', code: `{ const t = ${G}?.byCtx.get(ctx); t?.m2.push(['idle timer set', process.hrtime.bigint()]); }\n` },
  { file: 'src/proxy/chat-proxy.ts', anchor: '            if (r.ok) {\n', at: 'before', code: `{ const t = ${G}?.byCtx.get(ctx); t?.m2.push(['attempt returned to failover', process.hrtime.bigint()]); }\n` },
  { file: 'src/proxy/chat-proxy.ts', anchor: '    const { value, served } = out;\n', at: 'after', code: `{ const t = ${G}?.byCtx.get(ctx); t?.m2.push(['failover returned to chat', process.hrtime.bigint()]); }\n` },
  { file: 'src/http/routes.ts', anchor: '    const result = await deps.proxy.chat(chat, ctx);\n', at: 'after', code: `{ const t = ${G}?.byCtx.get(ctx); t?.m2.push(['chat returned to route', process.hrtime.bigint()]); }\n` },
];

export const PROXY_EDITS: Edit[] = [
  { file: 'bench/passthrough-proxy.ts', anchor: "import { Pool } from 'undici';\n", at: 'after', code: "import { appendFileSync } from 'node:fs';\nlet ttftSeq = 0;\n" },
  { file: 'bench/passthrough-proxy.ts', anchor: 'const server = createServer((req, res) => {\n', at: 'after', code: 'const entered = process.hrtime.bigint();\n' },
  {
    file: 'bench/passthrough-proxy.ts',
    anchor: "        res.writeHead(up.statusCode, { 'content-type': type, 'cache-control': 'no-cache' });\n",
    at: 'replace',
    code: "        const id = ++ttftSeq; let firstOut = 0n;\n        res.writeHead(up.statusCode, { 'content-type': type, 'cache-control': 'no-cache', 'x-ttft-proxy': `${id};${entered};${process.hrtime.bigint()}` });\n",
  },
  {
    file: 'bench/passthrough-proxy.ts',
    anchor: "        for await (const c of up.body) if (!res.write(c as Buffer)) await once(res, 'drain', { signal: ac.signal });\n",
    at: 'replace',
    code:
      '        for await (const c of up.body) {\n' +
      '          const ok = res.write(c as Buffer);\n' +
      "          if (!firstOut && /\"content\":\"[^\"]/.test((c as Buffer).toString('latin1'))) firstOut = process.hrtime.bigint();\n" +
      "          if (!ok) await once(res, 'drain', { signal: ac.signal });\n" +
      '        }\n' +
      "        appendFileSync(process.env.TTFT_PROXY_MARKS!, `${id};${firstOut}\\n`);\n",
  },
];

/** Applies edits to files under `root`; an anchor that is gone or not unique stops the run (the tree changed: update the edit). */
export function applyEdits(root: string, edits: Edit[]): void {
  for (const e of edits) {
    const path = join(root, e.file);
    const src = readFileSync(path, 'utf8');
    const at = src.indexOf(e.anchor);
    if (at === -1 || src.indexOf(e.anchor, at + 1) !== -1) throw new Error(`ttft-breakdown: the anchor ${JSON.stringify(e.anchor.trim())} is ${at === -1 ? 'not' : 'not once'} in ${e.file}; update its edit in bench/ttft-marks.ts`);
    const end = at + e.anchor.length;
    const out = e.at === 'before' ? src.slice(0, at) + e.code + src.slice(at) : e.at === 'after' ? src.slice(0, end) + e.code + src.slice(end) : src.slice(0, at) + e.code + src.slice(end);
    writeFileSync(path, out);
  }
}

/**
 * A marked copy of `root`'s src and pass-through proxy under `dest` (with its package.json, for
 * bench/transpile.ts).
 */
export function markedCopy(root: string, dest: string): void {
  cpSync(join(root, 'src'), join(dest, 'src'), { recursive: true });
  mkdirSync(join(dest, 'bench'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dest, 'package.json'));
  cpSync(join(root, 'bench/passthrough-proxy.ts'), join(dest, 'bench/passthrough-proxy.ts'));
  applyEdits(dest, [...TREATY_EDITS, ...PROXY_EDITS]);
}
