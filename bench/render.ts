// Re-renders a full or quick run's markdown report from its JSON (bench/results/*.json), with
// today's report code: figures are re-derived from the run's raw measurements, so a report
// written before a section existed gains it where the data allows (and shows "–" where not).
//
//   node --import tsx bench/render.ts bench/results/bench-2026-11-30T12-43-36-013Z.json > report.md

import { readFileSync } from 'node:fs';
import { markdown, type ReportMeta } from './report.js';
import { checks, contention, summarize, type Raw, type TargetInfo } from './summary.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: node --import tsx bench/render.ts <bench results .json>');
  process.exit(2);
}
const run = JSON.parse(readFileSync(file, 'utf8')) as { meta: ReportMeta; targets: TargetInfo[]; raw: Raw };
const sums = summarize(run.targets, run.raw);
// The run's chart was its -latest.svg, since overwritten by later runs.
run.meta.chart = '';
process.stdout.write(markdown(run.meta, run.targets, sums, checks(run.targets, sums), contention(run.raw)));
