// Prints docs/contracts.md from the schema itself (field tables) plus the prose in
// reference-prose.ts, so the reference cannot drift from what the parser accepts. Pure: the
// caller passes the example file's text in (`treaty contracts docs > docs/contracts.md`).

import type { FieldSpec } from '../config/schema-dsl.js';
import { CHECKER, CLAUSE_EXAMPLES, INTRO, RANKING, TIME_AND_AMENDMENTS } from './reference-prose.js';
import { CLAUSE_TYPE_NAMES, CLAUSE_TYPES, clauseSpec, contractsSpec } from './spec.js';

function describe(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'string':
      return 'string';
    case 'number':
      return `number${spec.integer ? ' (whole)' : ''}${spec.min !== undefined ? `, ≥ ${spec.min}` : ''}${spec.max !== undefined ? `, ≤ ${spec.max}` : ''}`;
    case 'enum':
      return spec.values.map((v) => `\`${v}\``).join(' \\| ');
    case 'list':
      return `list of ${spec.items.kind === 'object' ? 'objects' : `${describe(spec.items)}s`}`;
    case 'map':
      return spec.values ? `map of ${describe(spec.values)}` : 'map';
    default:
      return spec.kind;
  }
}

const CLAUSE_HOLDERS = ['clauses', 'with', 'adds'];

const example = (spec: FieldSpec): string => ('example' in spec && spec.example !== undefined ? ` Example: \`${spec.example}\`.` : '');

function rows(fields: Record<string, FieldSpec>, prefix: string, out: string[], skip: (key: string) => boolean = () => false): void {
  for (const [key, spec] of Object.entries(fields)) {
    if (skip(key)) continue;
    const name = `${prefix}${key}`;
    const dflt = 'required' in spec && spec.required ? 'required' : 'default' in spec && spec.default !== undefined ? `\`${JSON.stringify(spec.default)}\`` : '—';
    // Clause bodies are documented once, under Clauses, not at every place one can appear.
    const clause = CLAUSE_HOLDERS.includes(key);
    out.push(`| \`${name}\` | ${describe(spec)} | ${dflt} | ${spec.doc}${clause ? ' See [Clauses](#clauses).' : ''}${example(spec)} |`);
    if (clause) continue;
    if (spec.kind === 'object') rows(spec.fields, `${name}.`, out);
    if (spec.kind === 'list' && spec.items.kind === 'object') rows(spec.items.fields, `${name}[].`, out);
  }
}

const TABLE_HEAD = ['| field | type | default | meaning |', '|---|---|---|---|'];

function clauseTable(type: (typeof CLAUSE_TYPE_NAMES)[number]): string[] {
  const t = CLAUSE_TYPES[type];
  const fields = (clauseSpec as Extract<FieldSpec, { kind: 'object' }>).fields;
  const out = [...TABLE_HEAD];
  for (const key of t.fields) {
    if (key === 'id' || key === 'type' || key === 'note' || key === 'onUnavailable') continue;
    const over = t.overrides?.[key];
    const base = fields[key]!;
    const spec = over?.values && base.kind === 'enum' ? { ...base, values: over.values } : base;
    const dflt = t.defaults[key];
    const need = t.required.includes(key) ? 'required' : t.oneOf?.includes(key) ? `one of ${t.oneOf.map((k) => `\`${k}\``).join(', ')}` : dflt !== undefined ? `\`${JSON.stringify(dflt)}\`` : '—';
    // The shared doc line says which types a field is for and its default; per type, the
    // table says both already.
    let doc = over?.doc ?? spec.doc.replace(/^[a-z, -]+: /, '').replace(/^commitment with schedule `periods`: /, 'With schedule `periods`: ');
    if (dflt !== undefined) doc = doc.replace(/ Default `?[^.]*`?\.$/, '');
    out.push(`| \`${key}\` | ${describe(spec)} | ${need} | ${doc.charAt(0).toUpperCase()}${doc.slice(1)}${example(spec)} |`);
    if (spec.kind === 'object') rows(spec.fields, `${key}.`, out);
    if (spec.kind === 'list' && spec.items.kind === 'object') rows(spec.items.fields, `${key}[].`, out);
  }
  return out;
}

export function contractsReference(options: { example?: string; exampleFile?: string } = {}): string {
  const top = (contractsSpec as Extract<FieldSpec, { kind: 'object' }>).fields;
  const out: string[] = [INTRO, '', '## Top-level fields', '', 'Under the `contracts:` key.', '', ...TABLE_HEAD];
  rows(top, 'contracts.', out);
  out.push('', '## Clauses', '', 'Every clause has these fields; the rest depend on its `type`.', '', ...TABLE_HEAD);
  const fields = (clauseSpec as Extract<FieldSpec, { kind: 'object' }>).fields;
  rows(fields, '', out, (k) => !['id', 'type', 'onUnavailable', 'note'].includes(k));
  for (const type of CLAUSE_TYPE_NAMES) {
    out.push('', `### \`${type}\``, '', CLAUSE_TYPES[type].doc, '', ...clauseTable(type), '', '```yaml', (CLAUSE_EXAMPLES[type] ?? '').trim(), '```');
  }
  out.push('', TIME_AND_AMENDMENTS, '', RANKING, '', CHECKER);
  if (options.example !== undefined) {
    out.push('', '## A complete example', '', `\`${options.exampleFile ?? 'examples/contracts.yaml'}\`, the demo estate's contracts:`, '', '```yaml', options.example.trim(), '```');
  }
  return `${out.join('\n')}\n`;
}
