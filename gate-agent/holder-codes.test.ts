/**
 * Holder-bound rotating codes (issue 20) at a real gate agent: its data directory holds a manifest
 * installed from signed pages whose rows carry sealed holder keys; the agent, started on it offline,
 * answers `POST /api/scan` for a code a phone key signed in the test — accepted now, CODE_EXPIRED 30 s later
 * by the injected clock — and its status says how far it trusts its clock, with the operator's max skew
 * stored for the next start.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../shared/crypto/index';
import { type GateAgent, startGateAgent } from './agent';
import { HolderDevice, type HolderTicket } from './test-support/holder-device';
import { prepareHolderGateDir } from './test-support/holder-gate';
import { ManifestFixture } from './test-support/manifest-fixture';
import { makeTempDir } from './test-support/stores';

const logger = pino({ level: 'silent' });
const NOW = Date.UTC(2026, 5, 1, 18);
let root: string;
let dataDir: string;
let now: number;
let agent: GateAgent | undefined;
let fixture: ManifestFixture;
const phone = new HolderDevice('ES256');
let ticket: HolderTicket;

/** Prepares the data directory as an enrolled gate that pulled the event (the fixture's pages). */
function prepareDataDir(options: { measured: boolean }): Promise<void> {
  return prepareHolderGateDir(dataDir, fixture, { now, ...options });
}

async function scan(code: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${agent!.url}/api/scan`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function status(): Promise<Record<string, unknown>> {
  return (await (await fetch(`${agent!.url}/api/status`)).json()) as Record<string, unknown>;
}

beforeEach(() => {
  root = makeTempDir('gate-holder-');
  dataDir = join(root, 'gate');
  now = NOW;
  fixture = new ManifestFixture({ signingKey: generateSigningKeyPair(1), now: NOW });
  for (let serial = 1; serial <= 5; serial++) fixture.issue(serial);
  ticket = fixture.bindHolder(2, phone);
});

afterEach(async () => {
  await agent?.close();
  agent = undefined;
  rmSync(root, { recursive: true, force: true });
});

describe('rotating codes at a running gate agent', () => {
  it('accepts a valid code over its HTTP API and refuses the same code 30 s later', async () => {
    await prepareDataDir({ measured: true });
    agent = await startGateAgent({ dataDir, port: 0, clock: () => now, logger });
    expect((await status())['clock']).toEqual({ offsetMs: 0, state: 'ok', holderCodeWindowSeconds: 15 });
    const code = phone.code(ticket, now);
    now += 30_000;
    expect(await scan(code)).toMatchObject({ decision: 'reject', reason: 'CODE_EXPIRED', detail: 'stale' });
    now -= 30_000;
    expect(await scan(code)).toMatchObject({
      decision: 'accept',
      reason: 'OK',
      ticket: { eventId: fixture.eventId, serial: 2 },
      seq: 2,
    });
    expect(await scan(code)).toMatchObject({ decision: 'reject', reason: 'ALREADY_USED' });
  });

  it('with its clock never measured: says so and widens the window to the stored max skew', async () => {
    await prepareDataDir({ measured: false });
    agent = await startGateAgent({
      dataDir,
      port: 0,
      clock: () => now,
      logger,
      holderCodeMaxSkewSeconds: 60,
    });
    expect((await status())['clock']).toEqual({
      offsetMs: null,
      state: 'unknown',
      holderCodeWindowSeconds: 60,
    });
    await agent.close();
    // Started again without the flag: the stored bound holds.
    agent = await startGateAgent({ dataDir, port: 0, clock: () => now, logger });
    expect((await status())['clock']).toMatchObject({ state: 'unknown', holderCodeWindowSeconds: 60 });
    expect(await scan(phone.code(ticket, now - 75_000))).toMatchObject({ reason: 'CODE_EXPIRED' });
    expect(await scan(phone.code(ticket, now - 60_000))).toMatchObject({ decision: 'accept' });
  });

  it('refuses a max skew below one step at start, naming the option', async () => {
    await expect(startGateAgent({ dataDir, holderCodeMaxSkewSeconds: 5, logger })).rejects.toThrow(
      /holderCodeMaxSkewSeconds/,
    );
  });
});
