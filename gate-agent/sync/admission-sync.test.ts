/**
 * One entry per ticket at every door, through the cloud (issue 14): two gate agents of one event and the
 * cloud's online `/validate`, all on the real cloud (production app, real database) over loopback HTTP.
 * An admission at one gate reaches the cloud with the gate's prompt upload and the other gate with its
 * next pull (pushed through the stream); `/validate` decides on the same history and its admissions
 * reach the gates the same way. No test here calls syncNow between the admission and the check: the
 * product must carry it on its own.
 */
import { and, count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { admissions } from '../../cloud/db/admissions-schema';
import { events } from '../../cloud/db/schema';
import type { GateAgent } from '../agent';
import { until, useTestVenue } from '../test-support/venue';

const venue = useTestVenue();
/** Moves the shared clock on between steps, so two steps never share an instant. */
const later = () => venue.real.cloud.advance(1_000);
const startGate = async (gateIndex: number) => (await venue.startGate(gateIndex)).agent;

async function cloudAdmissions(serialOf?: number): Promise<number> {
  const [row] = await venue.real.cloud.database.db
    .select({ n: count() })
    .from(admissions)
    .where(
      and(
        eq(admissions.eventId, venue.real.seeded.eventId),
        serialOf === undefined ? undefined : eq(admissions.serial, serialOf),
      ),
    );
  return row?.n ?? 0;
}

async function cloudHead(): Promise<number> {
  const [row] = await venue.real.cloud.database.db
    .select({ head: events.changeSeq })
    .from(events)
    .where(eq(events.id, venue.real.seeded.eventId));
  return row?.head ?? 0;
}

/** Until the gate's copy has applied everything the cloud holds now. */
async function caughtUp(agent: GateAgent): Promise<void> {
  const head = await cloudHead();
  await until(async () => ((await agent.status()).events[0]?.manifestSeq ?? 0) >= head);
}

async function validate(qr: string, gateIndex: number, direction: 'in' | 'out' = 'in') {
  return venue.real.cloud.call('POST', '/api/v1/validate', {
    token: await venue.real.cloud.token('venue_staff', venue.real.seeded.tenant),
    body: { qr, gateId: venue.real.seeded.gateIds[gateIndex], direction },
  });
}

describe('one entry per ticket through the cloud', () => {
  it('a ticket admitted at gate A is ALREADY_USED at gate B, naming gate A, with no manual sync', async () => {
    const north = await startGate(0);
    const vipGate = await startGate(1);
    const first = await north.scan(venue.tickets[0]!.qr);
    expect(first.reason).toBe('OK');
    const serial = first.ticket!.serial;
    // The gate uploads the accept on its own, within moments; the other gate hears of it by its stream.
    await until(async () => (await cloudAdmissions(serial)) === 1);
    await caughtUp(vipGate);
    later();
    const second = await vipGate.scan(venue.tickets[0]!.qr);
    expect(second.reason).toBe('ALREADY_USED');
    expect(second.alreadyUsed?.gateName).toBe('North');
    expect(second.alreadyUsed?.gateId).toBe(venue.real.seeded.gateIds[0]);
    // The first entry's time on this gate's clock: the moment gate A decided.
    expect(second.alreadyUsed!.at).toBe(first.scannedAt);
  });

  it('the cloud’s /validate refuses a ticket a gate admitted, and a gate refuses one /validate admitted', async () => {
    const north = await startGate(0);
    expect((await north.scan(venue.tickets[1]!.qr)).reason).toBe('OK');
    await until(async () => (await cloudAdmissions()) === 1);
    later();
    const online = await validate(venue.tickets[1]!.qr, 1);
    expect(online.status).toBe(200);
    expect(online.body).toMatchObject({ decision: 'reject', reason: 'ALREADY_USED' });
    expect(online.body.alreadyUsed.gateName).toBe('North');

    const admitted = await validate(venue.tickets[2]!.qr, 1);
    expect(admitted.body).toMatchObject({ decision: 'accept', reason: 'OK' });
    await caughtUp(north);
    later();
    const atDoor = await north.scan(venue.tickets[2]!.qr);
    expect(atDoor.reason).toBe('ALREADY_USED');
    expect(atDoor.alreadyUsed?.gateName).toBe('VIP');
  });

  it('an exit at one gate lets the holder back in at another; history folds the same everywhere', async () => {
    const north = await startGate(0);
    const vipGate = await startGate(1);
    expect((await north.scan(venue.tickets[3]!.qr, 'in')).reason).toBe('OK');
    await until(async () => (await cloudAdmissions()) === 1);
    await caughtUp(vipGate);
    later();
    expect((await vipGate.scan(venue.tickets[3]!.qr, 'out')).reason).toBe('OK');
    await until(async () => (await cloudAdmissions()) === 2);
    await caughtUp(north);
    // Both the cloud and gate North now know the holder left: in again, once.
    later();
    expect((await validate(venue.tickets[3]!.qr, 0)).body).toMatchObject({ decision: 'accept' });
    await caughtUp(north);
    later();
    expect((await north.scan(venue.tickets[3]!.qr, 'in')).reason).toBe('ALREADY_USED');
  });
});
