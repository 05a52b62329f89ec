// The contracts in force in this process: loaded from a file, reloadable without a restart
// (a file change or an admin call). A new version that fails to parse is rejected and the old
// one stays; requests capture the version they start with and finish under it.

import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { parseContracts } from '../contracts/compile.js';
import type { CompiledContracts } from '../contracts/types.js';
import { ConfigError } from '../config/schema-dsl.js';

export interface LoadedContracts {
  compiled: CompiledContracts;
  loadedAt: number;
  file: string;
}

export type ReloadResult = { ok: true; version: string; changed: boolean } | { ok: false; problems: string[] };

export class ContractsHolder {
  private current: LoadedContracts | undefined;
  private readonly listeners: ((c: LoadedContracts) => void)[] = [];

  constructor(
    private readonly file: string | undefined,
    private readonly now: () => number,
  ) {}

  /** The first load: errors are fatal here (the gateway does not start on bad contracts). */
  load(): void {
    if (!this.file) return;
    const r = this.reload();
    if (!r.ok) throw new ConfigError(r.problems);
  }

  get(): LoadedContracts | undefined {
    return this.current;
  }

  onChange(fn: (c: LoadedContracts) => void): void {
    this.listeners.push(fn);
  }

  reload(): ReloadResult {
    if (!this.file) return { ok: false, problems: ['no contracts file is configured (contracts.file in treaty.yaml)'] };
    let compiled: CompiledContracts;
    try {
      compiled = parseContracts(readFileSync(this.file, 'utf8'), this.file);
    } catch (err) {
      return { ok: false, problems: err instanceof ConfigError ? err.problems : [`${this.file}: ${(err as Error).message}`] };
    }
    const changed = compiled.version !== this.current?.compiled.version;
    if (changed) {
      this.current = { compiled, loadedAt: this.now(), file: this.file };
      for (const fn of this.listeners) fn(this.current);
    }
    return { ok: true, version: compiled.version, changed };
  }

  /** Reloads when the file changes on disk (polling: works on every filesystem). */
  watch(intervalMs: number, onResult: (r: ReloadResult) => void): () => void {
    if (!this.file) return () => undefined;
    const file = this.file;
    watchFile(file, { interval: intervalMs, persistent: false }, () => onResult(this.reload()));
    return () => unwatchFile(file);
  }
}
