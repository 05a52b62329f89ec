// Validation of admin request bodies: tenant and key settings, with messages that say what
// to fix. Unknown fields are errors, so a typo never silently sets nothing (and a client can
// never mass-assign a field it should not).

import { GatewayError } from '../domain/errors.js';

export interface SettingsInput {
  name?: string;
  allowedModels?: string[] | null;
  trafficClass?: string | null;
  tags?: string[];
  rpm?: number | null;
  tpm?: number | null;
  budgetUsd?: number | null;
  budgetPeriod?: 'day' | 'month' | null;
}

const FIELDS = new Set(['name', 'allowedModels', 'trafficClass', 'tags', 'rpm', 'tpm', 'budgetUsd', 'budgetPeriod']);
const bad = (m: string, param: string): GatewayError => new GatewayError('TREATY_INVALID_REQUEST', m, { param });

export function parseSettings(body: unknown, requireName: boolean): SettingsInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('The body must be a JSON object.', '');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!FIELDS.has(k)) throw bad(`Unknown field "${k}"; allowed: ${[...FIELDS].join(', ')}.`, k);
  const out: SettingsInput = {};
  if (b.name !== undefined || requireName) {
    if (typeof b.name !== 'string' || !b.name.trim() || b.name.length > 200) throw bad('"name" must be a non-empty string of at most 200 characters.', 'name');
    out.name = b.name.trim();
  }
  if (b.allowedModels !== undefined) {
    if (b.allowedModels !== null && (!Array.isArray(b.allowedModels) || !b.allowedModels.every((m) => typeof m === 'string'))) throw bad('"allowedModels" must be a list of model names, or null for all models.', 'allowedModels');
    out.allowedModels = b.allowedModels as string[] | null;
  }
  if (b.trafficClass !== undefined) {
    if (b.trafficClass !== null && typeof b.trafficClass !== 'string') throw bad('"trafficClass" must be a string or null.', 'trafficClass');
    out.trafficClass = b.trafficClass as string | null;
  }
  if (b.tags !== undefined) {
    if (!Array.isArray(b.tags) || !b.tags.every((t) => typeof t === 'string')) throw bad('"tags" must be a list of strings.', 'tags');
    out.tags = b.tags as string[];
  }
  for (const k of ['rpm', 'tpm'] as const) {
    if (b[k] === undefined) continue;
    if (b[k] !== null && (!Number.isInteger(b[k]) || (b[k] as number) < 1)) throw bad(`"${k}" must be a positive whole number, or null for no limit.`, k);
    out[k] = b[k] as number | null;
  }
  if (b.budgetUsd !== undefined) {
    if (b.budgetUsd !== null && (typeof b.budgetUsd !== 'number' || !(b.budgetUsd >= 0))) throw bad('"budgetUsd" must be a non-negative number of US dollars, or null.', 'budgetUsd');
    out.budgetUsd = b.budgetUsd as number | null;
  }
  if (b.budgetPeriod !== undefined) {
    if (b.budgetPeriod !== null && b.budgetPeriod !== 'day' && b.budgetPeriod !== 'month') throw bad('"budgetPeriod" must be "day", "month" or null.', 'budgetPeriod');
    out.budgetPeriod = b.budgetPeriod as 'day' | 'month' | null;
  }
  if ((out.budgetUsd != null) !== (out.budgetPeriod != null) && (out.budgetUsd !== undefined || out.budgetPeriod !== undefined)) {
    throw bad('Set "budgetUsd" and "budgetPeriod" together (or both to null).', 'budgetPeriod');
  }
  return out;
}
