/**
 * A binary min-heap of items keyed by their due time (unix ms), for the in-process job runner: one
 * timer for all delayed jobs instead of one per job. Ties keep insertion order (a sequence number), so
 * jobs due at the same moment run in the order they were queued.
 */
interface Entry<T> {
  dueAt: number;
  order: number;
  item: T;
}

export class DelayQueue<T> {
  readonly #heap: Entry<T>[] = [];
  #order = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(dueAt: number, item: T): void {
    this.#heap.push({ dueAt, order: this.#order++, item });
    this.#up(this.#heap.length - 1);
  }

  /** The earliest due time, or undefined when empty. */
  peekDue(): number | undefined {
    return this.#heap[0]?.dueAt;
  }

  /** Removes and returns the earliest item if it is due at `now`, otherwise undefined. */
  popDue(now: number): T | undefined {
    const top = this.#heap[0];
    if (!top || top.dueAt > now) return undefined;
    const last = this.#heap.pop()!;
    if (this.#heap.length > 0) {
      this.#heap[0] = last;
      this.#down(0);
    }
    return top.item;
  }

  clear(): void {
    this.#heap.length = 0;
  }

  #before(a: Entry<T>, b: Entry<T>): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.order < b.order);
  }

  #up(index: number): void {
    const heap = this.#heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#before(heap[index]!, heap[parent]!)) return;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  #down(index: number): void {
    const heap = this.#heap;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let first = index;
      if (left < heap.length && this.#before(heap[left]!, heap[first]!)) first = left;
      if (right < heap.length && this.#before(heap[right]!, heap[first]!)) first = right;
      if (first === index) return;
      [heap[index], heap[first]] = [heap[first]!, heap[index]!];
      index = first;
    }
  }
}
