// Prints the config reference from the schema itself, so the docs cannot drift from what
// the parser accepts. `npm run docs:config` writes it to docs/config-reference.md.

import type { FieldSpec } from '../config/schema-dsl.js';
import { configSpec } from '../config/spec.js';
import { PROVIDERS } from '../upstreams/registry.js';

function describe(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'string':
      return spec.secret ? 'secret (env:NAME)' : 'string';
    case 'number':
      return `number${spec.integer ? ' (whole)' : ''}${spec.min !== undefined ? `, ≥ ${spec.min}` : ''}${spec.max !== undefined ? `, ≤ ${spec.max}` : ''}`;
    case 'enum':
      return spec.values.map((v) => `\`${v}\``).join(' \\| ');
    case 'list':
      return `list of ${spec.items.kind === 'object' ? 'objects' : describe(spec.items)}`;
    default:
      return spec.kind;
  }
}

function defaultOf(spec: FieldSpec): string {
  if ('required' in spec && spec.required) return 'required';
  if ('default' in spec && spec.default !== undefined) return `\`${JSON.stringify(spec.default)}\``;
  return '—';
}

function rows(fields: Record<string, FieldSpec>, prefix: string, out: string[]): void {
  for (const [key, spec] of Object.entries(fields)) {
    const name = `${prefix}${key}`;
    out.push(`| \`${name}\` | ${describe(spec)} | ${defaultOf(spec)} | ${spec.doc}${'example' in spec && spec.example !== undefined ? ` Example: \`${spec.example}\`.` : ''} |`);
    if (spec.kind === 'object') rows(spec.fields, `${name}.`, out);
    if (spec.kind === 'list' && spec.items.kind === 'object') rows(spec.items.fields, `${name}[].`, out);
  }
}

export function configReference(): string {
  const out = [
    '# treaty.yaml reference',
    '',
    'Generated from the schema by `treaty config docs`; the parser accepts exactly this. Unknown keys are errors reported as file:line:col with a suggestion. Secrets are always written `env:VARIABLE_NAME`. A complete example is `examples/treaty.yaml`.',
    '',
    '| field | type | default | meaning |',
    '|---|---|---|---|',
  ];
  rows(configSpec, '', out);
  for (const p of PROVIDERS.values()) {
    out.push('', `## \`options\` for provider \`${p.provider}\``, '', '| option | type | default | meaning |', '|---|---|---|---|');
    for (const [k, o] of Object.entries(p.optionsSpec)) {
      const type = o.type === 'enum' ? (o.values ?? []).map((v) => `\`${v}\``).join(' \\| ') : o.secret ? 'secret (env:NAME)' : o.type;
      out.push(`| \`${k}\` | ${type} | ${o.required ? 'required' : o.default !== undefined ? `\`${JSON.stringify(o.default)}\`` : '—'} | ${o.doc} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function printConfigDocs(): void {
  process.stdout.write(configReference());
}
