// Simulation results in the admin API, for the dashboard: the runs written by
// `treaty simulate --out <admin.simulationsDir>/<name>` (each a folder with result.json).

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError } from '../domain/errors.js';
import { sendJson } from '../http/body.js';
import type { Router } from './router.js';

const NAME = /^[A-Za-z0-9._-]{1,100}$/;

interface RunSummary {
  name: string;
  writtenAt: number;
  start: string;
  end: string;
  days: number;
  seed: number;
  variants: string[];
}

export function simulationRoutes(r: Router, dir: string): void {
  r.on('GET', '/admin/simulations', async ({ res }) => {
    let names: string[] = [];
    try {
      names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && NAME.test(e.name)).map((e) => e.name);
    } catch {
      // No folder yet: no runs.
    }
    const runs: RunSummary[] = [];
    for (const name of names) {
      const file = join(dir, name, 'result.json');
      try {
        const [info, text] = await Promise.all([stat(file), readFile(file, 'utf8')]);
        const r = JSON.parse(text) as { start: string; end: string; days: number; seed: number; variants: { name: string }[] };
        runs.push({ name, writtenAt: info.mtimeMs, start: r.start, end: r.end, days: r.days, seed: r.seed, variants: r.variants.map((v) => v.name) });
      } catch {
        // Not a finished run (or not a run at all): leave it out.
      }
    }
    runs.sort((a, b) => b.writtenAt - a.writtenAt);
    sendJson(res, 200, { dir, runs });
  });

  r.on('GET', '/admin/simulations/:name', async ({ res, params }) => {
    if (!NAME.test(params.name!)) throw new GatewayError('TREATY_NOT_FOUND', 'No simulation run with that name.');
    let text: string;
    try {
      text = await readFile(join(dir, params.name!, 'result.json'), 'utf8');
    } catch {
      throw new GatewayError('TREATY_NOT_FOUND', `No simulation run "${params.name}" in ${dir}.`);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}
