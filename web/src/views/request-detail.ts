// One request: each upstream attempt with its deployment, timings, tokens and cost, and the
// policy decision behind it — the candidates with their scores (and the parts of each score),
// the deployments a clause filtered out and why, and any recorded exceptions.

import { enc } from '../api';
import { h, replaceContent } from '../dom';
import { count, fig, when } from '../format';
import type { Decision, RequestDetail } from '../types';
import { ATTEMPT_COLUMNS, attemptCells } from './requests';
import { badge, empty, facts, failure, load, section, table, td, type View } from './common';

const PARTS = ['cost', 'pacing', 'share', 'latency'];
/** Scores are in cost units (USD per request), often tiny: three significant digits, not three decimals. */
const score = (v: unknown): string => (typeof v !== 'number' || !Number.isFinite(v) ? '—' : v === 0 ? '0' : Math.abs(v) >= 0.01 ? v.toFixed(3) : v.toPrecision(3));

function decisionBlock(d: Decision, picked: string): HTMLElement {
  // Parts beyond the four the docs name still show, so a richer decision is not hidden.
  const extra = [...new Set(d.candidates.flatMap((c) => Object.keys(c.parts ?? {})))].filter((p) => !PARTS.includes(p));
  const parts = [...PARTS, ...extra];
  const cand = d.candidates.map((c) =>
    h(
      'tr',
      { 'data-candidate': c.deploymentId, class: c.deploymentId === picked ? 'picked' : undefined },
      td(c.deploymentId, c.deploymentId === picked ? [' ', badge('picked', 'ok')] : null, c.flags?.length ? h('div', { class: 'small muted' }, c.flags.join(', ')) : null),
      td(h('span', { 'data-field': 'score', 'data-value': c.score ?? 'null' }, score(c.score))),
      ...parts.map((p) => td(h('span', { 'data-field': p, 'data-value': c.parts?.[p] ?? 'null' }, score(c.parts?.[p])))),
    ),
  );
  const filt = d.filtered.map((f) => h('tr', { 'data-filtered': f.deploymentId }, td(f.deploymentId), td(f.clauseId ? h('code', {}, f.clauseId) : '—'), td(f.reason)));
  return h(
    'div',
    { class: 'decision', 'data-decision': '' },
    facts([
      ['Traffic class', d.class ?? '—'],
      ['Ranked', d.ranked?.length ? d.ranked.join(' → ') : '—'],
      ['Contract version', d.version ? h('code', { title: d.version }, d.version.slice(0, 12)) : '—'],
    ]),
    h('h4', {}, 'Candidates'),
    cand.length ? table('Candidates and scores', [{ label: 'Deployment' }, { label: 'Score', num: true }, ...parts.map((p) => ({ label: p, num: true }))], cand) : empty('No candidates.'),
    h('h4', {}, 'Filtered out'),
    filt.length ? table('Deployments filtered out', [{ label: 'Deployment' }, { label: 'Clause' }, { label: 'Reason' }], filt) : empty('Nothing was filtered out.'),
    d.exceptions?.length ? [h('h4', {}, 'Exceptions'), h('pre', { class: 'small' }, JSON.stringify(d.exceptions, null, 2))] : null,
  );
}

export const requestDetailView: View = async (ctx) => {
  const id = ctx.params.join('/');
  const region = h('div', { 'data-request-detail': id }, h('p', { class: 'muted' }, 'Loading…'));
  ctx.root.append(h('p', {}, h('a', { href: '#/requests' }, '← Back to search')), region);
  const path = `/admin/requests/${enc(id)}`;
  const r = await load<RequestDetail>(path);
  if (!r.ok) {
    // A 404 here is either an unknown id or a build without the ledger routes; the API's own
    // message says which.
    if (r.error.notFound) return replaceContent(region, h('p', { class: 'note', 'data-not-found': '' }, r.error.message));
    return replaceContent(region, failure(r.error, path));
  }
  const attempts = [...r.data.attempts].sort((a, b) => a.attemptNo - b.attemptNo);
  replaceContent(
    region,
    h('p', { class: 'muted' }, fig(attempts.length, count, 'attempts'), ` attempt${attempts.length === 1 ? '' : 's'}.`),
    attempts.map((a) =>
      section(
        `Attempt ${a.attemptNo}: ${a.deploymentId}`,
        `attempt-${a.attemptNo}`,
        h('div', { 'data-attempt': String(a.attemptNo) }, 
          facts([
            ['Started', when(a.startedAt, 'startedAt')],
            ['First byte', when(a.firstByteAt, 'firstByteAt')],
            ['Ended', when(a.endedAt, 'endedAt')],
            ['Tenant / key', `${a.tenantId ?? '—'} / ${a.keyId ?? '—'}`],
            ['Model', `${a.model}${a.stream ? ' (stream)' : ''}`],
            ['Cached prompt tokens', fig(a.cachedPromptTokens, count, 'cachedPromptTokens')],
          ]),
          table(`Attempt ${a.attemptNo}`, ATTEMPT_COLUMNS, [h('tr', { 'data-attempt-row': String(a.attemptNo) }, ...attemptCells(a))]),
          h('h3', {}, 'Decision'),
          a.decision ? decisionBlock(a.decision, a.deploymentId) : empty('No decision recorded for this attempt.'),
        ),
      ),
    ),
  );
};
