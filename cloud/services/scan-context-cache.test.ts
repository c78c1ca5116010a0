// The per-process cache of gate scan contexts: shared reads, expiry by either clock, forgetting, bounds.
import { describe, expect, it } from 'vitest';
import { CONTEXT_TTL_MS, MAX_CONTEXTS, ScanContextCache } from './scan-context-cache';
import type { GateScanContext } from './validation-lookup';

function contextNamed(name: string): GateScanContext {
  return { gate: { name } } as unknown as GateScanContext;
}

describe('ScanContextCache', () => {
  it('reads once for scans arriving together and keeps the context for CONTEXT_TTL_MS', async () => {
    let monotonic = 0;
    const cache = new ScanContextCache(() => monotonic);
    let reads = 0;
    const read = async () => {
      reads++;
      await new Promise((r) => setTimeout(r, 5));
      return contextNamed(`read ${reads}`);
    };
    const burst = await Promise.all(Array.from({ length: 20 }, () => cache.get('t', 'g', 1_000, read)));
    expect(reads).toBe(1);
    expect(new Set(burst.map((b) => b.context?.gate.name))).toEqual(new Set(['read 1']));
    monotonic = CONTEXT_TTL_MS - 1;
    expect(await cache.get('t', 'g', 1_000, read)).toMatchObject({ cached: true });
    monotonic = CONTEXT_TTL_MS;
    const again = await cache.get('t', 'g', 1_000, read);
    expect(again).toMatchObject({ cached: false, context: { gate: { name: 'read 2' } } });
  });

  it('reads again when the service clock moved by CONTEXT_TTL_MS either way (tests move it)', async () => {
    const cache = new ScanContextCache(() => 0);
    let reads = 0;
    const read = async () => contextNamed(`read ${++reads}`);
    await cache.get('t', 'g', 50_000, read);
    expect((await cache.get('t', 'g', 50_000 + CONTEXT_TTL_MS - 1, read)).cached).toBe(true);
    expect((await cache.get('t', 'g', 50_000 + CONTEXT_TTL_MS, read)).cached).toBe(false);
    expect((await cache.get('t', 'g', 50_000, read)).cached).toBe(false);
    expect(reads).toBe(3);
  });

  it('forgets a tenant (its gates only) or one gate; keeps no unknown gate and no failed read', async () => {
    const cache = new ScanContextCache(() => 0);
    const read = async () => contextNamed('x');
    await cache.get('t1', 'a', 0, read);
    await cache.get('t1', 'b', 0, read);
    await cache.get('t2', 'a', 0, read);
    cache.forget('t1');
    expect((await cache.get('t1', 'a', 0, read)).cached).toBe(false);
    expect((await cache.get('t1', 'b', 0, read)).cached).toBe(false);
    expect((await cache.get('t2', 'a', 0, read)).cached).toBe(true);
    cache.forgetGate('t2', 'a');
    expect((await cache.get('t2', 'a', 0, read)).cached).toBe(false);

    let unknownReads = 0;
    const unknown = async () => {
      unknownReads++;
      return undefined;
    };
    await cache.get('t3', 'nope', 0, unknown);
    expect(await cache.get('t3', 'nope', 0, unknown)).toEqual({ context: undefined, cached: false });
    expect(unknownReads).toBe(2);

    const failing = async (): Promise<GateScanContext> => {
      throw new Error('database down');
    };
    await expect(cache.get('t4', 'g', 0, failing)).rejects.toThrow('database down');
    expect((await cache.get('t4', 'g', 0, read)).cached).toBe(false);
  });

  it('keeps at most MAX_CONTEXTS, dropping the oldest', async () => {
    const cache = new ScanContextCache(() => 0);
    const read = async () => contextNamed('x');
    for (let i = 0; i <= MAX_CONTEXTS; i++) await cache.get('t', `gate-${i}`, 0, read);
    expect((await cache.get('t', `gate-${MAX_CONTEXTS}`, 0, read)).cached).toBe(true);
    expect((await cache.get('t', 'gate-0', 0, read)).cached).toBe(false);
  });
});
