// A sliding sum over the last `spanMs` of virtual time: tokens started in the last minute,
// or the Little's-law concurrency of weighted requests (see estate.ts). Entries are added in
// (nearly) increasing time and expire from the front; the arrays are compacted now and then.

export class SlidingSum {
  private times: number[] = [];
  private values: number[] = [];
  private head = 0;
  private sum = 0;

  constructor(private readonly spanMs: number) {}

  add(t: number, value: number): void {
    this.times.push(t);
    this.values.push(value);
    this.sum += value;
  }

  /** The sum of entries added in (now − span, now]. */
  at(now: number): number {
    const limit = now - this.spanMs;
    while (this.head < this.times.length && this.times[this.head]! <= limit) {
      this.sum -= this.values[this.head]!;
      this.head++;
    }
    if (this.head > 512 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
    // Floating-point drift must not leave a phantom load on an idle deployment.
    if (this.head === this.times.length) this.sum = 0;
    return this.sum;
  }
}
