// What the conflict checker reports, and how `treaty contracts check` prints it and exits.

export type Severity = 'error' | 'warning' | 'info';

export type FindingCode =
  | 'EXCLUSIVITY_OVERLAP'
  | 'SHARES_ABOVE_100'
  | 'COMMITMENT_UNREACHABLE'
  | 'COMMITMENT_UNVERIFIED'
  | 'NO_ELIGIBLE_DEPLOYMENT'
  | 'AMENDMENT_UNKNOWN_AGREEMENT'
  | 'AMENDMENT_UNKNOWN_CLAUSE'
  | 'AMENDMENT_OUTSIDE_TERM'
  | 'UNKNOWN_DEPLOYMENT'
  | 'UNKNOWN_MODEL'
  | 'RESERVATION_NOT_OWNED'
  | 'RESERVATION_DUPLICATE'
  | 'ACCOUNT_UNUSED';

export interface Finding {
  severity: Severity;
  code: FindingCode;
  message: string;
  /** file:line:col of the clause or amendment the finding is about. */
  where?: string;
  /** The clause refs (`agreement/clause`) or amendment ids involved. */
  refs: readonly string[];
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Errors first, then by location; stable for the same input. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || (a.where ?? '').localeCompare(b.where ?? '', 'en', { numeric: true }) || a.code.localeCompare(b.code));
}

/** Plain text for a terminal: one block per finding and a closing count line. */
export function formatFindings(findings: readonly Finding[]): string {
  const lines: string[] = [];
  for (const f of sortFindings(findings)) {
    lines.push(`${f.where ? `${f.where}: ` : ''}${f.severity} ${f.code}: ${f.message}`);
  }
  const count = (s: Severity): number => findings.filter((f) => f.severity === s).length;
  const [e, w, i] = [count('error'), count('warning'), count('info')];
  lines.push(findings.length === 0 ? 'contracts: no conflicts found' : `contracts: ${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}${i ? `, ${i} note${i === 1 ? '' : 's'}` : ''}`);
  return `${lines.join('\n')}\n`;
}

/** 1 when any finding is an error (or, with `strict`, a warning); else 0. Parse errors are the caller's (exit 2). */
export function exitCodeFor(findings: readonly Finding[], options: { strict?: boolean } = {}): 0 | 1 {
  return findings.some((f) => f.severity === 'error' || (options.strict === true && f.severity === 'warning')) ? 1 : 0;
}
