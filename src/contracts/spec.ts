// The contract language's schema, in the strict schema language of config/. One definition
// gives validation (unknown keys → file:line:col with a "did you mean") and the reference in
// docs/contracts.md. Clauses share one field list because the schema language has no tagged
// unions: which fields each `type` accepts, requires and defaults is declared in CLAUSE_TYPES
// and enforced by the compiler with the same located errors.

import type { FieldSpec } from '../config/schema-dsl.js';
import { DATE_HINT, DATE_PATTERN } from './time.js';

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/i;
const ID_HINT = 'must be 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit';

const id = (doc: string, example: string): FieldSpec => ({ kind: 'string', doc, required: true, pattern: ID, patternHint: ID_HINT, example });
const date = (doc: string, example: string, required = true): FieldSpec => ({ kind: 'string', doc, required, pattern: DATE_PATTERN, patternHint: DATE_HINT, example });
const strings = (doc: string, itemDoc: string): FieldSpec => ({ kind: 'list', doc, items: { kind: 'string', doc: itemDoc } });
const span = (doc: string, what: string, startEx: string, endEx: string): FieldSpec => ({
  kind: 'object',
  doc,
  fields: {
    start: date(`First day of the ${what} (UTC, inclusive).`, startEx),
    end: date(`Last day of the ${what} (UTC, inclusive: the whole day counts).`, endEx),
  },
});

export const CLAUSE_TYPE_NAMES = ['commitment', 'reservation', 'preferred-share', 'exclusivity', 'early-access', 'residency'] as const;
export type ClauseTypeName = (typeof CLAUSE_TYPE_NAMES)[number];

/** Per clause type: the fields it accepts, which are required, and defaults applied by the compiler. */
export interface ClauseTypeSpec {
  doc: string;
  fields: readonly string[];
  required: readonly string[];
  /** At least one of these must be given. */
  oneOf?: readonly string[];
  defaults: Readonly<Record<string, unknown>>;
  /** Field docs (and allowed values) specific to this type, for the reference. */
  overrides?: Readonly<Record<string, { doc: string; values?: readonly string[] }>>;
}

const COMMON = ['id', 'type', 'onUnavailable', 'note'];

export const CLAUSE_TYPES: Readonly<Record<ClauseTypeName, ClauseTypeSpec>> = {
  commitment: {
    doc: 'A minimum spend over the agreement\'s term. Spend that counts toward it is priced at list × (1 − discount); a shortfall at the end is billed (true-up). The router paces spend toward the plan.',
    fields: [...COMMON, 'amountUsd', 'schedule', 'periods', 'countsToward', 'discountPercent', 'shortfall', 'maxUsdPerHour'],
    required: ['amountUsd'],
    defaults: { schedule: 'even', discountPercent: 0, shortfall: 'true-up' },
  },
  reservation: {
    doc: 'Prepaid capacity on one deployment: a fixed cost per period, so its marginal cost is ≈ 0 until the capacity is in use; then traffic spills to the cheapest eligible path.',
    fields: [...COMMON, 'deployment', 'usdPerPeriod', 'period', 'capacity'],
    required: ['deployment', 'usdPerPeriod', 'capacity'],
    defaults: { period: 'month' },
    overrides: { period: { doc: 'Billing period of usdPerPeriod.' } },
  },
  'preferred-share': {
    doc: 'At least minPercent of a traffic class (or of the requests for some models) goes to this agreement\'s party in every period.',
    fields: [...COMMON, 'class', 'models', 'minPercent', 'period'],
    required: ['minPercent'],
    oneOf: ['class', 'models'],
    defaults: { period: 'month' },
    overrides: { period: { doc: 'The calendar period (UTC) in which the floor must hold.', values: ['month', 'quarter'] } },
  },
  exclusivity: {
    doc: 'Inside the window, the selected traffic (models and/or a class) may only go to this party\'s deployments.',
    fields: [...COMMON, 'models', 'class', 'window'],
    required: ['window'],
    oneOf: ['models', 'class'],
    defaults: {},
  },
  'early-access': {
    doc: 'Inside the window, the models (or class) are only available via this party — the usual shape of a launch-partner right. Filters exactly like exclusivity.',
    fields: [...COMMON, 'models', 'class', 'window'],
    required: ['window'],
    oneOf: ['models', 'class'],
    defaults: {},
  },
  residency: {
    doc: 'Requests of the selected tenants and/or class may only be served in these regions.',
    fields: [...COMMON, 'tenants', 'class', 'regions'],
    required: ['regions'],
    oneOf: ['tenants', 'class'],
    defaults: {},
  },
};

const clauseFields: Record<string, FieldSpec> = {
  id: id('Unique within its agreement; amendments and findings name the clause by it. Decisions name it `<agreement>/<clause>`.', 'frontier-exclusivity'),
  type: { kind: 'enum', doc: 'What the clause obliges.', values: CLAUSE_TYPE_NAMES, required: true },
  onUnavailable: { kind: 'enum', doc: 'When this clause leaves no available deployment: `fail-closed` refuses the request; `serve-elsewhere` serves it on a non-compliant deployment and records an exception. Only blocking clauses (exclusivity, early-access, residency) act on it. Default `fail-closed`.', values: ['fail-closed', 'serve-elsewhere'] },
  note: { kind: 'string', doc: 'Free text for people (the PDF section, who negotiated it).', example: 'MSA §4.2' },
  amountUsd: { kind: 'number', doc: 'commitment: minimum spend over the term, in effective (discounted) USD.', min: 0, example: 2_400_000 },
  schedule: { kind: 'enum', doc: 'commitment: `even` spreads the amount evenly over the term; `periods` follows the `periods` list. Default `even`.', values: ['even', 'periods'] },
  periods: {
    kind: 'list',
    doc: 'commitment with schedule `periods`: the planned amount per period; the periods lie inside the term, do not overlap and sum to amountUsd.',
    items: { kind: 'object', doc: 'One period of the plan.', fields: { start: date('First day (inclusive).', '2026-01-01'), end: date('Last day (inclusive).', '2026-12-31'), amountUsd: { kind: 'number', doc: 'Planned spend in the period.', min: 0, required: true, example: 600_000 } } },
  },
  countsToward: {
    kind: 'object',
    doc: 'commitment: whose spend counts. Default: every deployment billed to the party\'s accounts.',
    fields: { accounts: strings('Accounts whose deployments count.', 'An account (Deployment.account).'), deployments: strings('Individual deployment ids that count.', 'A deployment id.') },
  },
  discountPercent: { kind: 'number', doc: 'commitment: discount on list price for spend that counts toward it. Default 0.', min: 0, max: 100, example: 15 },
  shortfall: { kind: 'enum', doc: 'commitment: what happens to a gap at the end of the term: `true-up` bills it; `none` forgives it. Default `true-up`.', values: ['true-up', 'none'] },
  maxUsdPerHour: { kind: 'map', doc: 'commitment: capacity hint for the checker — the most list-price USD per hour each counted deployment can serve (deployment id → USD). Reservation capacity is used instead where one exists.', values: { kind: 'number', doc: 'USD per hour at list price.', min: 0 } },
  deployment: { kind: 'string', doc: 'reservation: the deployment id the capacity is on.', example: 'partner-eastus-ptu' },
  usdPerPeriod: { kind: 'number', doc: 'reservation: fixed cost per period, paid whether used or not.', min: 0, example: 36_000 },
  period: { kind: 'enum', doc: 'reservation: billing period of usdPerPeriod (default `month`). preferred-share: the period the floor must hold in (`month` or `quarter`, default `month`).', values: ['hour', 'day', 'month', 'quarter', 'year'] },
  capacity: {
    kind: 'object',
    doc: 'reservation: what the prepaid capacity holds; at least one of the two.',
    fields: {
      concurrency: { kind: 'number', doc: 'Requests in flight at once.', integer: true, min: 1, example: 20 },
      tokensPerMinute: { kind: 'number', doc: 'Prompt + completion tokens per minute.', integer: true, min: 1, example: 300_000 },
    },
  },
  class: { kind: 'string', doc: 'preferred-share, exclusivity, early-access, residency: the traffic class (an id from trafficClasses) the clause applies to.', example: 'enterprise' },
  models: strings('preferred-share, exclusivity, early-access: public model names the clause applies to.', 'A public model name.'),
  minPercent: { kind: 'number', doc: 'preferred-share: the floor, in percent of the selected requests per period.', min: 0, max: 100, example: 60 },
  window: span('exclusivity, early-access: when the clause bites.', 'window', '2025-07-01', '2026-12-31'),
  tenants: strings('residency: tenant ids the clause applies to.', 'A tenant id.'),
  regions: { kind: 'list', doc: 'residency: the regions (Deployment.region) allowed to serve.', items: { kind: 'string', doc: 'A region.' }, minItems: 1 },
};

/** Every field a clause may carry; the `type` decides which apply (see CLAUSE_TYPES). */
export const clauseSpec: FieldSpec = { kind: 'object', doc: 'One clause. `type` decides which of the other fields apply.', fields: clauseFields };

/** A superseding body may leave the id out: it keeps the id of the clause it replaces. */
const supersedingBody: FieldSpec = {
  kind: 'object',
  doc: 'The new clause body (id may be left out).',
  required: true,
  fields: { ...clauseFields, id: { kind: 'string', doc: 'Must equal the replaced clause id when given.', pattern: ID, patternHint: ID_HINT } },
};

const matchSpec: FieldSpec = {
  kind: 'object',
  doc: 'Which requests belong to the class. Each list matches when the request\'s value is in it (a trailing `*` matches a prefix).',
  fields: {
    tenants: strings('Tenant ids.', 'A tenant id or prefix*.'),
    keys: strings('Virtual key ids.', 'A key id or prefix*.'),
    tags: strings('Request tags (from the tenant, the key or the x-treaty-tags header).', 'A tag.'),
    models: strings('Public model names.', 'A model name or prefix*.'),
    combine: { kind: 'enum', doc: '`any`: one given list matching is enough; `all`: every given list must match. A match with no lists matches every request (a catch-all; put it last).', values: ['any', 'all'], default: 'any' },
  },
};

export const contractsSpec: FieldSpec = {
  kind: 'object',
  doc: 'Parties, traffic classes, agreements and amendments.',
  required: true,
  fields: {
    parties: {
      kind: 'list',
      doc: 'Who the contracts are with. A party owns every deployment billed to one of its accounts.',
      required: true,
      minItems: 1,
      items: {
        kind: 'object',
        doc: 'One party.',
        fields: {
          id: id('Short id used by agreements.', 'partner'),
          name: { kind: 'string', doc: 'Display name.', required: true, example: 'Partner Cloud' },
          accounts: { kind: 'list', doc: 'Cloud accounts (Deployment.account) billed to this party; an account belongs to one party.', items: { kind: 'string', doc: 'An account.' }, required: true, minItems: 1 },
        },
      },
    },
    trafficClasses: {
      kind: 'list',
      doc: 'Named slices of traffic. A request belongs to the FIRST class that matches (or to none), unless its tenant or key names a class explicitly.',
      items: { kind: 'object', doc: 'One class.', fields: { id: id('Class id used by clauses.', 'enterprise'), match: matchSpec, note: { kind: 'string', doc: 'Free text.' } } },
    },
    agreements: {
      kind: 'list',
      doc: 'Agreements with parties: a term and clauses.',
      required: true,
      items: {
        kind: 'object',
        doc: 'One agreement.',
        fields: {
          id: id('Unique agreement id.', 'partner-msa'),
          party: { kind: 'string', doc: 'The party id this agreement is with.', required: true, example: 'partner' },
          term: { ...span('When the agreement is in force.', 'term', '2024-01-01', '2028-12-31'), required: true },
          note: { kind: 'string', doc: 'Free text.' },
          clauses: { kind: 'list', doc: 'The clauses.', items: clauseSpec, required: true },
        },
      },
    },
    amendments: {
      kind: 'list',
      doc: 'Later changes to an agreement, in force from their effective date.',
      items: {
        kind: 'object',
        doc: 'One amendment.',
        fields: {
          id: id('Unique amendment id.', 'partner-amendment-1'),
          agreement: { kind: 'string', doc: 'The agreement id it amends.', required: true, example: 'partner-msa' },
          effective: date('From this day (UTC, 00:00) the amendment is in force.', '2026-06-01'),
          waives: strings('Clause ids of that agreement that stop applying.', 'A clause id.'),
          supersedes: {
            kind: 'list',
            doc: 'Clauses replaced by a new body (same id).',
            items: { kind: 'object', doc: 'One replacement.', fields: { clause: { kind: 'string', doc: 'The clause id replaced.', required: true }, with: supersedingBody } },
          },
          adds: { kind: 'list', doc: 'New clauses granted by the amendment (ids new to the agreement).', items: clauseSpec },
          note: { kind: 'string', doc: 'Free text, e.g. what was exchanged.' },
        },
      },
    },
  },
};

/** The top level of a standalone contracts file (the same `contracts:` key can live in treaty.yaml). */
export const contractsFileSpec: Record<string, FieldSpec> = { contracts: contractsSpec };
