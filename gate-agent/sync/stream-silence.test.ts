/**
 * A push stream whose far end dies without closing the connection — the cloud process killed behind a
 * proxy that keeps the gate's connection while a new process takes over: the gate must not hang on it
 * until its next timed pull (30 s by default; an hour here, so only a stream can deliver). The cloud
 * names its heartbeat in `ready`; the gate gives a stream up after 2.5 heartbeats of silence and
 * reconnects, and a change made meanwhile reaches it through the new stream.
 */
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buyTickets } from '../../cloud/test-support/cloud';
import { type GateAgent, startGateAgent } from '../agent';
import { type RealCloud, startRealCloud } from '../test-support/real-cloud';
import { makeTempDir } from '../test-support/stores';

const HEARTBEAT_MS = 200; // silence limit 500 ms
const STREAM = '/api/v1/sync/stream';
let real: RealCloud;
let dataDir: string;
let agent: GateAgent | undefined;

/** Polls `check` every 20 ms until it holds; throws after `timeoutMs` (generous: CI shares two cores). */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeEach(async () => {
  real = await startRealCloud({ env: { SYNC_STREAM_HEARTBEAT_MS: String(HEARTBEAT_MS) } });
  dataDir = makeTempDir();
});

afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await real.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('gives up a stream whose far end died silently and hears the next change over a new one', async () => {
  agent = await startGateAgent({
    dataDir,
    cloudUrl: real.url,
    enrollmentToken: await real.enrollmentToken(),
    port: 0,
    clock: () => real.cloud.now() + 2 * 3_600_000,
    logger: pino({ level: 'silent' }),
    syncIntervalMs: 3_600_000,
  });
  await agent.syncNow();
  await until(async () => (real.hits.get(STREAM) ?? 0) >= 1, 10_000);
  const streams = real.hits.get(STREAM) ?? 0;
  const seq = (await agent.status()).events[0]!.manifestSeq;

  real.silenceOpenStreams();
  // No one closes the dead stream and no pull is due for an hour: the gate itself gives it up after
  // 2.5 heartbeats of silence and opens a new one …
  await until(async () => (real.hits.get(STREAM) ?? 0) > streams, 10_000);
  // … through which a sale made now reaches it.
  await buyTickets(real.cloud, real.seeded, { typeIndex: 0, quantity: 1 });
  await until(async () => (await agent!.status()).events[0]!.manifestSeq > seq, 10_000);
  expect((await agent.status()).online).toBe(true);
});
