/**
 * The station's scheduler: the browser one never runs a task before its time on the
 * `performance.now()` timeline, and a task slot holds one task at a time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualScheduler } from '../test-support/manual-scheduler';
import { browserScheduler, runAfter, TaskSlot } from './scheduler';

describe('browserScheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a task when performance.now() reaches its time, not before; a cancelled task never runs', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const scheduler = browserScheduler();
    const ran: string[] = [];
    const start = scheduler.now();
    scheduler.runAt(start + 10, () => ran.push('due'));
    const cancel = runAfter(scheduler, 5, () => ran.push('cancelled'));
    cancel();
    vi.advanceTimersByTime(9);
    expect(ran).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ran).toEqual(['due']);
    expect(scheduler.now()).toBe(start + 10);
    cancel(); // after the fact: nothing happens
  });
});

describe('TaskSlot', () => {
  it('arming again replaces the task waiting; disarm drops it', () => {
    const scheduler = new ManualScheduler(100);
    const slot = new TaskSlot(scheduler);
    const ran: string[] = [];
    slot.armAfter(50, () => ran.push('first'));
    slot.armAt(120, () => ran.push('second'));
    expect(slot.armed).toBe(true);
    expect(scheduler.waiting).toEqual([120]);
    scheduler.advanceTo(200);
    expect(ran).toEqual(['second']);
    expect(slot.armed).toBe(false);
    slot.armAfter(10, () => ran.push('dropped'));
    slot.disarm();
    scheduler.advanceBy(100);
    expect(ran).toEqual(['second']);
  });

  it('a task may arm its own slot again (a poll that schedules the next poll)', () => {
    const scheduler = new ManualScheduler(0);
    const slot = new TaskSlot(scheduler);
    const polls: number[] = [];
    const poll = () => {
      polls.push(scheduler.now());
      slot.armAfter(2_000, poll);
    };
    slot.armAfter(0, poll);
    scheduler.advanceTo(6_500);
    expect(polls).toEqual([0, 2_000, 4_000, 6_000]);
    expect(slot.armed).toBe(true);
  });
});
