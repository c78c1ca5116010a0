// The delay queue gives items back in due order (ties in insertion order), only when due.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DelayQueue } from './delay-queue';

describe('DelayQueue', () => {
  it('returns nothing before the earliest due time', () => {
    const queue = new DelayQueue<string>();
    queue.push(200, 'b');
    queue.push(100, 'a');
    expect(queue.peekDue()).toBe(100);
    expect(queue.popDue(99)).toBeUndefined();
    expect(queue.popDue(100)).toBe('a');
    expect(queue.popDue(150)).toBeUndefined();
    expect(queue.popDue(1_000)).toBe('b');
    expect(queue.size).toBe(0);
    expect(queue.peekDue()).toBeUndefined();
  });

  it('pops in (due, insertion) order whatever the push order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (dues) => {
        const queue = new DelayQueue<number>();
        for (const [index, due] of dues.entries()) queue.push(due, index);
        const popped: number[] = [];
        for (let item = queue.popDue(Infinity); item !== undefined; item = queue.popDue(Infinity))
          popped.push(item);
        const expected = dues
          .map((due, index) => ({ due, index }))
          .sort((a, b) => a.due - b.due || a.index - b.index);
        expect(popped).toEqual(expected.map((e) => e.index));
      }),
    );
  });
});
