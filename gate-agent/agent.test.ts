/**
 * The programmatic API: bad options fail at start naming the option; an agent without a cloud serves
 * its local API on 127.0.0.1 and answers from disk; its status carries the ticket-list age thresholds.
 */
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGateAgent } from './agent';
import { makeTempDir } from './test-support/stores';

const logger = pino({ level: 'silent' });
let dataDir: string;
beforeEach(() => {
  dataDir = makeTempDir();
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('startGateAgent', () => {
  it('refuses bad options at start, naming the option', async () => {
    await expect(startGateAgent({ dataDir: '', logger })).rejects.toThrow(/dataDir/);
    await expect(startGateAgent({ dataDir, port: 70_000, logger })).rejects.toThrow(/port/);
    await expect(startGateAgent({ dataDir, cloudUrl: 'ftp://cloud.example', logger })).rejects.toThrow(
      /cloudUrl/,
    );
    await expect(startGateAgent({ dataDir, enrollmentToken: 'short', logger })).rejects.toThrow(
      /enrollmentToken/,
    );
    await expect(startGateAgent({ dataDir, staleAfterMinutes: 0, logger })).rejects.toThrow(
      /staleAfterMinutes/,
    );
    await expect(
      startGateAgent({ dataDir, staleAfterMinutes: 20, veryStaleAfterMinutes: 15, logger }),
    ).rejects.toThrow(/veryStaleAfterMinutes/);
  });

  it('gives the scanner UI its ticket-list age thresholds in the status: the defaults, or the operator’s', async () => {
    const defaults = await startGateAgent({ dataDir, port: 0, logger });
    try {
      const status = (await (await fetch(`${defaults.url}/api/status`)).json()) as Record<string, unknown>;
      expect(status['manifestThresholds']).toEqual({ staleAfterMinutes: 10, veryStaleAfterMinutes: 30 });
    } finally {
      await defaults.close();
    }
    const set = await startGateAgent({
      dataDir,
      port: 0,
      staleAfterMinutes: 5,
      veryStaleAfterMinutes: 15,
      logger,
    });
    try {
      expect((await set.status()).manifestThresholds).toEqual({
        staleAfterMinutes: 5,
        veryStaleAfterMinutes: 15,
      });
      expect((await set.syncNow()).manifestThresholds).toEqual({
        staleAfterMinutes: 5,
        veryStaleAfterMinutes: 15,
      });
    } finally {
      await set.close();
    }
  });

  it('without a cloud: serves the local API on 127.0.0.1, offline, and rejects unknown tickets', async () => {
    const agent = await startGateAgent({ dataDir, port: 0, logger });
    try {
      expect(agent.url).toBe(`http://127.0.0.1:${agent.port}`);
      const status = (await (await fetch(`${agent.url}/api/status`)).json()) as Record<string, unknown>;
      expect(status).toMatchObject({ deviceId: null, online: false, pendingUploads: 0, events: [] });
      const scan = await fetch(`${agent.url}/api/scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'NOT A TICKET' }),
      });
      expect(await scan.json()).toMatchObject({ decision: 'reject', reason: 'INVALID', seq: 1 });
      expect((await agent.syncNow()).online).toBe(false);
      expect((await agent.status()).pendingUploads).toBe(1);
    } finally {
      await agent.close();
    }
  });
});
