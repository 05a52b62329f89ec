// For backpressure tests: waits until a counter has moved and then stood still for `turns`
// event-loop turns (a writer blocked on a full socket makes no progress however long it waits;
// one that ignores backpressure never stops moving). Turns, not milliseconds: no clock involved.

export async function untilStill(count: () => number, turns = 50): Promise<void> {
  let still = 0;
  let seen = -1;
  while (still < turns) {
    await new Promise((r) => setImmediate(r));
    const n = count();
    if (n > 0 && n === seen) still++;
    else {
      seen = n;
      still = 0;
    }
  }
}
