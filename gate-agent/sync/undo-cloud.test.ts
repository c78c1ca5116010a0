/**
 * Undo reaches the real cloud (issue 17), production app and real database over loopback HTTP: a
 * steward's Undo at gate A is uploaded by the gate on its own as one `undo` scan row, the cloud files
 * the undo record once — also after the gate uploads the same rows again — and then admits the ticket
 * online and serves the undo to gate B, which admits it too. The other way: an online undo in the
 * cloud (origin `cloud`) reaches the gate in its manifest and the gate admits the ticket again.
 */
import { and, count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { admissions } from '../../cloud/db/admissions-schema';
import { events } from '../../cloud/db/schema';
import type { GateAgent } from '../agent';
import { storePath } from '../store/database';
import { openGateStore } from '../store/gate-store';
import { until, useTestVenue } from '../test-support/venue';

const venue = useTestVenue();
const later = () => venue.real.cloud.advance(1_000);

/** The cloud's admission records of the event (optionally of one direction). */
async function cloudRecords(direction?: 'in' | 'out' | 'undo'): Promise<number> {
  const [row] = await venue.real.cloud.database.db
    .select({ n: count() })
    .from(admissions)
    .where(
      and(
        eq(admissions.eventId, venue.real.seeded.eventId),
        direction === undefined ? undefined : eq(admissions.direction, direction),
      ),
    );
  return row?.n ?? 0;
}

async function caughtUp(agent: GateAgent): Promise<void> {
  const [row] = await venue.real.cloud.database.db
    .select({ head: events.changeSeq })
    .from(events)
    .where(eq(events.id, venue.real.seeded.eventId));
  await until(async () => ((await agent.status()).events[0]?.manifestSeq ?? 0) >= (row?.head ?? 0));
}

async function staffToken(): Promise<string> {
  return venue.real.cloud.token('venue_staff', venue.real.seeded.tenant);
}

async function validate(qr: string, gateIndex: number) {
  return venue.real.cloud.call('POST', '/api/v1/validate', {
    token: await staffToken(),
    body: { qr, gateId: venue.real.seeded.gateIds[gateIndex], direction: 'in' },
  });
}

describe('undo through the real cloud', () => {
  it('a gate’s Undo is uploaded once (also when re-sent); the cloud and the other gate admit again', async () => {
    const { agent: north, dataDir } = await venue.startGate(0);
    const { agent: vipGate } = await venue.startGate(1);
    const qr = venue.tickets[0]!.qr;
    const entry = await north.scan(qr);
    expect(entry.reason).toBe('OK');
    await until(async () => (await cloudRecords('in')) === 1);
    later();
    const undone = await north.undo(entry.seq!);
    expect(undone).toMatchObject({ undone: { originSeq: 1 }, undo: { originSeq: 2 } });
    // Uploaded by the gate on its own (no syncNow), filed once.
    await until(
      async () => (await cloudRecords('undo')) === 1 && (await north.status()).pendingUploads === 0,
    );

    // The gate sends the same rows again (the cloud said it lost them: the cursor moves back).
    await venue.stopGate(north);
    const store = openGateStore(storePath(dataDir));
    store.acknowledgeUploads(0, Date.now());
    expect(store.pendingUploads).toBe(2);
    store.close();
    const restarted = await venue.restartGate(dataDir);
    await restarted.syncNow();
    await until(async () => (await restarted.status()).pendingUploads === 0);
    expect(await cloudRecords('undo')).toBe(1);
    expect(await cloudRecords()).toBe(2);

    later();
    expect((await validate(qr, 0)).body).toMatchObject({ decision: 'accept', reason: 'OK' });
    await caughtUp(vipGate);
    later();
    // The cloud's own entry (just made by /validate) now stands: gate B refuses, naming it.
    expect((await vipGate.scan(qr)).reason).toBe('ALREADY_USED');
  });

  it('the undo reaches the other gate in its manifest: it admits the ticket again', async () => {
    const { agent: north } = await venue.startGate(0);
    const { agent: vipGate } = await venue.startGate(1);
    const qr = venue.tickets[1]!.qr;
    const entry = await north.scan(qr);
    await until(async () => (await cloudRecords('in')) === 1);
    await caughtUp(vipGate);
    later();
    expect((await vipGate.scan(qr)).reason).toBe('ALREADY_USED');
    later();
    await north.undo(entry.seq!);
    await until(async () => (await cloudRecords('undo')) === 1);
    await caughtUp(vipGate);
    later();
    expect(await vipGate.scan(qr)).toMatchObject({ decision: 'accept', reason: 'OK' });
  });

  it('an online undo in the cloud (origin cloud) reaches the gate in its manifest: the gate admits again', async () => {
    const { agent: north } = await venue.startGate(0);
    const qr = venue.tickets[2]!.qr;
    expect((await validate(qr, 1)).body).toMatchObject({ decision: 'accept' });
    await caughtUp(north);
    later();
    expect((await north.scan(qr)).reason).toBe('ALREADY_USED');
    later();
    const online = await venue.real.cloud.call(
      'POST',
      `/api/v1/events/${venue.real.seeded.eventId}/admissions/undo`,
      { token: await staffToken(), body: { origin: 'cloud', originSeq: 1, note: 'Wrong ticket' } },
    );
    expect(online.status, JSON.stringify(online.body)).toBe(200);
    await caughtUp(north);
    later();
    expect(await north.scan(qr)).toMatchObject({ decision: 'accept', reason: 'OK' });
  });
});
