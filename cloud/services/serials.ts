/**
 * Ticket serial blocks: a purchase takes its serials from memory and only every SERIAL_BLOCK-th one
 * reserves a new block in the database. Serials must be unique per event (the token and the manifest key
 * on them), not dense.
 */

const SERIAL_BLOCK = 256;

/**
 * Hands out ticket serials from blocks reserved with `allocateSerials`, so a purchase normally costs no
 * database round trip for its serials. Blocks are per process and per event; what a process does not use
 * before it stops is a gap.
 */
export class SerialAllocator {
  readonly #ranges = new Map<string, { next: number; end: number }>();
  readonly #reserve: (eventId: string, size: number) => Promise<number>;

  /** `reserve` takes `size` serials from the database counter and returns the first (allocateSerials). */
  constructor(reserve: (eventId: string, size: number) => Promise<number>) {
    this.#reserve = reserve;
  }

  /** The first of `count` consecutive serials that no other purchase will get. */
  async allocate(eventId: string, count: number): Promise<number> {
    const range = this.#ranges.get(eventId);
    if (range && range.end - range.next >= count) {
      const first = range.next;
      range.next += count;
      return first;
    }
    const size = Math.max(count, SERIAL_BLOCK);
    const first = await this.#reserve(eventId, size);
    const current = this.#ranges.get(eventId);
    // Another purchase may have refilled meanwhile; keep whichever block has more left.
    if (!current || current.end - current.next < size - count) {
      this.#ranges.set(eventId, { next: first + count, end: first + size });
    }
    if (this.#ranges.size > 10_000) this.#ranges.clear();
    return first;
  }
}
