// A binary min-heap of timed events: what the virtual clock runs next. Events at the same
// instant come out in the order they were pushed (a sequence number breaks ties), so a run
// does not depend on the heap's internal layout.

export interface Timed {
  at: number;
}

export class EventHeap<T extends Timed> {
  private readonly items: { e: T; seq: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(e: T): void {
    const a = this.items;
    a.push({ e, seq: this.seq++ });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  /** The earliest event if it is due at or before `t`, removed; else undefined. */
  popDue(t: number): T | undefined {
    const a = this.items;
    if (!a.length || a[0]!.e.at > t) return undefined;
    const top = a[0]!.e;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    const x = this.items[i]!;
    const y = this.items[j]!;
    return x.e.at < y.e.at || (x.e.at === y.e.at && x.seq < y.seq);
  }
}
