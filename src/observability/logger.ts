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

// One pass for every credential shape we know, checked only when a cheap probe finds a hint of
// one: the redaction is a second line of defence (callers never log secrets), so it must not
// cost every log line seven regex scans.
const SECRET_HINT = /sk-|tr-|AKIA|bearer|api-key|signature=|arn:aws/i;
const SECRET = /\b(?:sk-[A-Za-z0-9_-]{6,}|tr-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{12,})\b|(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}|(api-key["'=:\s]+)[A-Za-z0-9._-]{8,}|(Signature=)[0-9a-f]{16,}|arn:aws[^\s"']*/gi;

export function redact(text: string): string {
  if (!SECRET_HINT.test(text)) return text;
  return text.replace(SECRET, (_m, bearer?: string, apiKey?: string, sig?: string) => `${bearer ?? apiKey ?? sig ?? ''}[redacted]`);
}

/**
 * Lines are gathered and written together: one write syscall for many requests instead of one
 * each (measured: per-line writes were ~7 % of the gateway's CPU at saturation). A busy
 * gateway writes at the end of the event-loop turn once SOON_BYTES have gathered (so lines
 * do not outlive their requests and burden the garbage collector); a quiet one writes every
 * FLUSH_MS rather than once per request. What is pending is written when the process exits.
 */
const SOON_BYTES = 8 * 1024;
const FLUSH_MS = 20;

function batched(write: (chunk: string) => void): (line: string) => void {
  let pending: string[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Immediate | undefined;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    if (soon) clearImmediate(soon);
    timer = soon = undefined;
    if (pending.length === 0) return;
    const out = pending.join('');
    pending = [];
    bytes = 0;
    write(out);
  };
  process.once('exit', flush);
  return (line) => {
    pending.push(line);
    bytes += line.length;
    if (bytes >= SOON_BYTES) soon ??= setImmediate(flush);
    else timer ??= setTimeout(flush, FLUSH_MS).unref();
  };
}

/** The one batcher in front of stdout, shared by every logger of the process. */
let stdoutLines: ((line: string) => void) | undefined;

export function createLogger(level: Level | 'silent', write?: (line: string) => void, base: Record<string, unknown> = {}): Logger {
  return new JsonLogger(ORDER[level], write ?? (stdoutLines ??= batched((l) => process.stdout.write(l))), base);
}

/** Keys every line starts with; a field of the same name takes the slow, exact path. */
const HEAD_KEYS = new Set(['time', 'level', 'msg']);

let isoMs = Number.NaN;
let iso = '';
let secondStart = -1;
/** `YYYY-MM-DDTHH:MM:SS.` of the current second. */
let secondPrefix = '';
/**
 * The ISO time of `ms`: formatted once per millisecond however many lines share it, and only
 * the milliseconds once per second (Date#toISOString was most of a request line's time cost).
 */
function isoTime(ms: number): string {
  if (ms !== isoMs) {
    isoMs = ms;
    const second = ms - (ms % 1000);
    if (second !== secondStart || ms < 0) {
      secondStart = second;
      iso = new Date(ms).toISOString();
      secondPrefix = iso.slice(0, 20);
    } else {
      const frac = ms - second;
      iso = `${secondPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
    }
  }
  return iso;
}

/** Each message's JSON (redacted), for the fixed messages almost every line uses. */
const msgJson = new Map<string, string>();

function jsonMsg(msg: string): string {
  let j = msgJson.get(msg);
  if (j === undefined) {
    j = redact(JSON.stringify(msg));
    // Bounded: a message built from data would otherwise grow it without end.
    if (msgJson.size < 512) msgJson.set(msg, j);
  }
  return j;
}

/**
 * A line is `{"time","level","msg", ...base, ...fields}`. The base (a child's fixed fields) is
 * serialised and redacted once per logger, not per line, and plain fields are serialised without
 * JSON.stringify's replacer (which turns off its fast path); lines with an Error, a nested
 * object or a key clash go the general way. A secret cannot straddle two fragments: each holds
 * whole `"key":value` pairs.
 */
class JsonLogger implements Logger {
  /** The base as `"k":v,…` (redacted), '' when empty; undefined until first needed. */
  private fragment: string | undefined;

  constructor(
    private readonly min: number,
    private readonly write: (line: string) => void,
    private readonly base: Record<string, unknown>,
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void {
    if (ORDER.debug >= this.min) this.emit('debug', msg, fields);
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    if (ORDER.info >= this.min) this.emit('info', msg, fields);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    if (ORDER.warn >= this.min) this.emit('warn', msg, fields);
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    if (ORDER.error >= this.min) this.emit('error', msg, fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.min, this.write, { ...this.base, ...fields });
  }

  private emit(level: Level, msg: string, fields: Record<string, unknown> | undefined): void {
    const time = isoTime(Date.now());
    const base = this.baseFragment();
    if (base === undefined || (fields && !plain(fields, this.base))) {
      const line = JSON.stringify({ time, level, msg, ...this.base, ...fields }, errorReplacer);
      this.write(`${redact(line)}\n`);
      return;
    }
    let own = fields ? JSON.stringify(fields) : '{}';
    own = own.length > 2 ? redact(own.slice(1, -1)) : '';
    const rest = base && own ? `${base},${own}` : base || own;
    this.write(`{"time":"${time}","level":"${level}","msg":${jsonMsg(msg)}${rest ? `,${rest}` : ''}}\n`);
  }

  private baseFragment(): string | undefined {
    if (this.fragment === undefined && plain(this.base, undefined)) {
      const json = JSON.stringify(this.base);
      this.fragment = json.length > 2 ? redact(json.slice(1, -1)) : '';
    }
    return this.fragment;
  }
}

/** Only primitives (no Error to unwrap, nothing nested), no key that would move or replace another. */
function plain(fields: Record<string, unknown>, base: Record<string, unknown> | undefined): boolean {
  for (const k in fields) {
    const v = fields[k];
    if (v !== null && typeof v === 'object') return false;
    if (HEAD_KEYS.has(k) || (base !== undefined && k in base)) return false;
  }
  return true;
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
