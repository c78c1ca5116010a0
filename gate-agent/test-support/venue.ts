/**
 * Test helper: a venue for tests of shared admissions (issue 14) — the real cloud (production app, real
 * database) behind a link proxy, one seeded event with four tickets sold and its doors open, and gate
 * agents enrolled at its gates, all closed and removed after each test. The gates run on the cloud's
 * test clock, so two steps never share an instant when the test moves it on between them.
 */
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { buyTickets } from '../../cloud/test-support/cloud';
import { type GateAgent, type GateAgentOptions, startGateAgent } from '../agent';
import { type RealCloud, startRealCloud } from './real-cloud';
import { makeTempDir } from './stores';

export interface TestVenue {
  readonly real: RealCloud;
  readonly tickets: ReadonlyArray<{ id: string; qr: string }>;
  /**
   * An agent enrolled at seeded gate `gateIndex` (0 North, 1 VIP), synced once. No periodic sync: only
   * the push stream, the prompt upload and the peers move anything.
   */
  startGate(
    gateIndex: number,
    extra?: Partial<GateAgentOptions>,
  ): Promise<{ agent: GateAgent; dataDir: string }>;
  /** Starts an agent on an existing data directory (a restart), closed after the test. */
  restartGate(dataDir: string, extra?: Partial<GateAgentOptions>): Promise<GateAgent>;
  /** Closes an agent before the end of the test (a gate that goes away). */
  stopGate(agent: GateAgent): Promise<void>;
}

const logger = pino({ level: 'silent' });

/** Registers the hooks that build and tear down a venue around each test of the file. */
export function useTestVenue(): TestVenue {
  let real: RealCloud | undefined;
  let tickets: Array<{ id: string; qr: string }> = [];
  const agents: GateAgent[] = [];
  const dataDirs: string[] = [];
  const cloud = () => {
    if (!real) throw new Error('the venue exists only inside a test');
    return real;
  };
  const start = async (options: GateAgentOptions) => {
    const agent = await startGateAgent({
      port: 0,
      clock: () => cloud().cloud.now(),
      logger,
      syncIntervalMs: 3_600_000,
      ...options,
    });
    agents.push(agent);
    return agent;
  };

  beforeEach(async () => {
    real = await startRealCloud();
    const { purchase } = await buyTickets(real.cloud, real.seeded, { typeIndex: 0, quantity: 4 });
    tickets = purchase.tickets as Array<{ id: string; qr: string }>;
    real.cloud.advance(2 * 3_600_000); // the seeded doors open one hour after the seed's clock
  });

  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.close();
    await real?.stop();
    real = undefined;
    for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get real() {
      return cloud();
    },
    get tickets() {
      return tickets;
    },
    async startGate(gateIndex, extra = {}) {
      const dataDir = makeTempDir();
      dataDirs.push(dataDir);
      const agent = await start({
        dataDir,
        cloudUrl: cloud().url,
        enrollmentToken: await cloud().enrollmentToken(gateIndex),
        ...extra,
      });
      await agent.syncNow();
      return { agent, dataDir };
    },
    restartGate: (dataDir, extra = {}) => start({ dataDir, ...extra }),
    async stopGate(agent) {
      const index = agents.indexOf(agent);
      if (index >= 0) agents.splice(index, 1);
      await agent.close();
    },
  };
}

/** Waits (bounded) until `check` holds; generous, because CI shares two cores. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
