// A tiny strict schema language for YAML config: every field has a type, a doc line and an
// example, so one definition gives validation with file:line:col errors *and* the reference
// documentation. Unknown keys are errors with a "did you mean" hint.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

export type FieldSpec =
  | { kind: 'string'; doc: string; required?: boolean; default?: string; pattern?: RegExp; patternHint?: string; secret?: boolean; example?: string }
  | { kind: 'number'; doc: string; required?: boolean; default?: number; min?: number; max?: number; integer?: boolean; example?: number }
  | { kind: 'boolean'; doc: string; required?: boolean; default?: boolean }
  | { kind: 'enum'; doc: string; values: readonly string[]; required?: boolean; default?: string }
  | { kind: 'object'; doc: string; fields: Record<string, FieldSpec>; required?: boolean }
  /** Free-form map validated later by someone else (e.g. adapter options). */
  | { kind: 'map'; doc: string; required?: boolean; values?: FieldSpec }
  | { kind: 'list'; doc: string; items: FieldSpec; required?: boolean; minItems?: number };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export interface Located<T> {
  value: T;
  /** Where each key path sits in the file, for errors found after parsing (e.g. bad references). */
  where: (path: (string | number)[]) => string;
}

export function parseYamlStrict(text: string, file: string, spec: Record<string, FieldSpec>): Located<Record<string, unknown>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const p = lineCounter.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  const problems: string[] = [];
  for (const e of doc.errors) problems.push(`${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
  if (problems.length) throw new ConfigError(problems);
  const root = doc.contents as Node | null;
  const value = validateObject(root, { kind: 'object', doc: '', fields: spec }, [], problems, at) ?? {};
  if (problems.length) throw new ConfigError(problems);
  const where = (path: (string | number)[]): string => {
    const node = doc.getIn(path, true) as Node | undefined;
    return at(node?.range?.[0]);
  };
  return { value, where };
}

type At = (offset: number | undefined) => string;

function describePath(path: (string | number)[]): string {
  return path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[') : '(top level)';
}

function validate(node: Node | null | undefined, spec: FieldSpec, path: (string | number)[], problems: string[], at: At): unknown {
  const loc = at(node?.range?.[0]);
  const name = describePath(path);
  switch (spec.kind) {
    case 'object':
      return validateObject(node, spec, path, problems, at);
    case 'map': {
      if (!isMap(node)) return void problems.push(`${loc}: ${name} must be a mapping of keys to values`);
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        out[k] = spec.values ? validate(pair.value as Node, spec.values, [...path, k], problems, at) : (pair.value as Node | null)?.toJSON?.() ?? (isScalar(pair.value) ? pair.value.value : null);
      }
      return out;
    }
    case 'list': {
      if (!isSeq(node)) return void problems.push(`${loc}: ${name} must be a list (write "- item" lines)`);
      if (spec.minItems && node.items.length < spec.minItems) problems.push(`${loc}: ${name} needs at least ${spec.minItems} item(s)`);
      return node.items.map((item, i) => validate(item as Node, spec.items, [...path, i], problems, at));
    }
    default:
      return validateScalar(node, spec, name, loc, problems);
  }
}

function validateObject(node: Node | null | undefined, spec: Extract<FieldSpec, { kind: 'object' }>, path: (string | number)[], problems: string[], at: At): Record<string, unknown> | undefined {
  const loc = at(node?.range?.[0]);
  if (node === null || node === undefined) {
    return fillDefaults(spec, path, problems, loc, {});
  }
  if (!isMap(node)) {
    problems.push(`${loc}: ${describePath(path)} must be a mapping (key: value lines)`);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const pair of node.items) {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const field = spec.fields[key];
    if (!field) {
      const hint = suggest(key, Object.keys(spec.fields));
      problems.push(`${at(keyNode?.range?.[0])}: unknown key "${key}" in ${describePath(path)}${hint ? `; did you mean "${hint}"?` : `; allowed keys: ${Object.keys(spec.fields).join(', ')}`}`);
      continue;
    }
    out[key] = validate(pair.value as Node, field, [...path, key], problems, at);
  }
  return fillDefaults(spec, path, problems, loc, out);
}

function fillDefaults(spec: Extract<FieldSpec, { kind: 'object' }>, path: (string | number)[], problems: string[], loc: string, out: Record<string, unknown>): Record<string, unknown> {
  for (const [key, field] of Object.entries(spec.fields)) {
    if (out[key] !== undefined) continue;
    if ('default' in field && field.default !== undefined) out[key] = field.default;
    else if (field.required) problems.push(`${loc}: ${describePath([...path, key])} is required — ${field.doc}`);
    // An absent optional section takes its defaults, unless it has required fields of its
    // own: then absent means "not configured" (e.g. prices unknown).
    else if (field.kind === 'object' && !Object.values(field.fields).some((f) => f.required)) out[key] = fillDefaults(field, [...path, key], problems, loc, {});
  }
  return out;
}

function validateScalar(node: Node | null | undefined, spec: FieldSpec, name: string, loc: string, problems: string[]): unknown {
  if (!isScalar(node)) return void problems.push(`${loc}: ${name} must be a single value, not a ${node ? (isMap(node) ? 'mapping' : 'list') : 'blank'}`);
  const v = node.value;
  switch (spec.kind) {
    case 'string':
      if (typeof v !== 'string' && typeof v !== 'number') return void problems.push(`${loc}: ${name} must be text, e.g. ${JSON.stringify(spec.example ?? 'value')}`);
      if (spec.pattern && !spec.pattern.test(String(v))) return void problems.push(`${loc}: ${name} ${spec.patternHint ?? `must match ${spec.pattern}`} (got ${JSON.stringify(String(v))})`);
      return String(v);
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return void problems.push(`${loc}: ${name} must be a number${spec.example !== undefined ? `, e.g. ${spec.example}` : ''} (got ${JSON.stringify(v)})`);
      if (spec.integer && !Number.isInteger(v)) return void problems.push(`${loc}: ${name} must be a whole number (got ${v})`);
      if (spec.min !== undefined && v < spec.min) return void problems.push(`${loc}: ${name} must be at least ${spec.min} (got ${v})`);
      if (spec.max !== undefined && v > spec.max) return void problems.push(`${loc}: ${name} must be at most ${spec.max} (got ${v})`);
      return v;
    }
    case 'boolean':
      if (typeof v !== 'boolean') return void problems.push(`${loc}: ${name} must be true or false (got ${JSON.stringify(v)})`);
      return v;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) {
        const hint = typeof v === 'string' ? suggest(v, [...spec.values]) : undefined;
        return void problems.push(`${loc}: ${name} must be one of ${spec.values.join(', ')} (got ${JSON.stringify(v)})${hint ? `; did you mean "${hint}"?` : ''}`);
      }
      return v;
    default:
      return v;
  }
}

/** The closest allowed word by edit distance, if it is close enough to be a typo. */
export function suggest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
