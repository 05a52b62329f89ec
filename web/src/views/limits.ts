// The limit fields shared by tenants and keys (allowed models, RPM/TPM, a USD budget per
// period), as form inputs and as table cells showing usage against the budget.

import { h } from '../dom';
import { count, fig, ratioPct, usd } from '../format';
import type { Limits, Usage } from '../types';

const input = (id: string, label: string, attrs: Record<string, string> = {}, hint?: string): HTMLElement =>
  h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id.split('-').pop()!, autocomplete: 'off', ...attrs }), hint ? h('span', { class: 'small muted' }, hint) : null);

/** Inputs for the limits; every one is optional (left empty = no limit of that kind). */
export function limitFields(prefix: string): HTMLElement[] {
  return [
    input(`${prefix}-allowedModels`, 'Allowed models', { placeholder: 'all' }, 'Comma-separated; empty allows every model.'),
    input(`${prefix}-rpm`, 'Requests / min', { type: 'number', min: '1', step: '1', inputmode: 'numeric' }),
    input(`${prefix}-tpm`, 'Tokens / min', { type: 'number', min: '1', step: '1', inputmode: 'numeric' }),
    input(`${prefix}-budgetUsd`, 'Budget (USD)', { type: 'number', min: '0', step: '0.01', inputmode: 'decimal' }, 'Set together with a period.'),
    h(
      'div',
      { class: 'field' },
      h('label', { for: `${prefix}-budgetPeriod` }, 'Budget period'),
      h('select', { id: `${prefix}-budgetPeriod`, name: 'budgetPeriod' }, ['', 'day', 'month'].map((p) => h('option', { value: p }, p || '—'))),
    ),
  ];
}

export const list = (v: FormDataEntryValue | null): string[] => String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** The request body for the limits; empty fields are left out so the server's defaults apply. */
export function readLimits(fd: FormData): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const models = list(fd.get('allowedModels'));
  if (models.length) body.allowedModels = models;
  for (const k of ['rpm', 'tpm', 'budgetUsd']) {
    const v = String(fd.get(k) ?? '').trim();
    if (v) body[k] = Number(v);
  }
  const period = String(fd.get('budgetPeriod') ?? '');
  if (period) body.budgetPeriod = period;
  return body;
}

export const modelsCell = (l: Limits): HTMLElement => h('span', {}, l.allowedModels?.length ? l.allowedModels.join(', ') : 'all');
/** null = no limit of that kind: shown as ∞ rather than a dash that reads like "unknown". */
const limit = (v: number | null | undefined): string => (v === null || v === undefined ? '∞' : count(v));
export const rateCell = (l: Limits): HTMLElement => h('span', {}, fig(l.rpm, limit, 'rpm'), ' rpm · ', fig(l.tpm, limit, 'tpm'), ' tpm');

/** Spent (and reserved) against the budget, with a meter when there is a budget. */
export function budgetCell(l: Limits, u: Usage | undefined): HTMLElement {
  const spent = u?.spentUsd;
  const ratio = typeof l.budgetUsd === 'number' && l.budgetUsd > 0 && typeof spent === 'number' ? spent / l.budgetUsd : null;
  return h(
    'div',
    { class: 'budget' },
    typeof l.budgetUsd === 'number'
      ? h('div', {}, fig(spent, usd, 'spentUsd'), ' of ', fig(l.budgetUsd, usd, 'budgetUsd'), l.budgetPeriod ? ` / ${l.budgetPeriod}` : '')
      : h('div', {}, fig(spent, usd, 'spentUsd'), ' spent · ', fig(null, () => 'no budget', 'budgetUsd')),
    ratio === null ? null : h('meter', { min: 0, max: 1, low: 0.8, high: 0.95, optimum: 0, value: Math.min(1, ratio), 'aria-label': `${ratioPct(ratio)} of budget used` }),
    ratio === null ? null : h('div', { class: 'small muted' }, fig(ratio, ratioPct, 'budgetUsed'), ' used'),
    typeof u?.reservedUsd === 'number' && u.reservedUsd > 0 ? h('div', { class: 'small muted' }, fig(u.reservedUsd, usd, 'reservedUsd'), ' in flight') : null,
  );
}
