// Structured JSON logs, one object per line. Callers pass fields, never raw headers or
// bodies; `redact` strips anything that looks like a credential as a second line of defence.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const SECRET_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{6,}/g, // OpenAI-style and Treaty virtual keys
  /\btr-[A-Za-z0-9_-]{16,}/g, // Treaty-issued keys
  /\bAKIA[0-9A-Z]{12,}\b/g, // AWS access key ids
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /(api-key["'=:\s]+)[A-Za-z0-9._-]{8,}/gi,
  /(Signature=)[0-9a-f]{16,}/g,
  /arn:aws[^\s"']*/g,
];

export function redact(text: string): string {
  let out = text;
  for (const re of SECRET_PATTERNS) out = out.replace(re, (m, prefix?: string) => (typeof prefix === 'string' && m.startsWith(prefix) ? `${prefix}[redacted]` : '[redacted]'));
  return out;
}

export function createLogger(level: Level | 'silent', write: (line: string) => void = (l) => process.stdout.write(l), base: Record<string, unknown> = {}): Logger {
  const min = ORDER[level];
  const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[lvl] < min) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }, errorReplacer);
    write(`${redact(line)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, write, { ...base, ...fields }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
