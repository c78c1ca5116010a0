/**
 * Online validation decides every scan by what is true now: a change made through the API — a ticket
 * type's gates, the event's times, its cancellation — decides the very next scan. The gate's context
 * (its venue's events and keys, its zones) is kept per process for a moment (issue 19,
 * services/scan-context-cache.ts): the process that changes it forgets it at once, and a token it cannot
 * place — an event published by another process a moment ago — is checked against a fresh read before it
 * is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishEvent } from '../services/events';
import { buyTickets, createTestCloud, seedEvent, type TestCloud } from '../test-support/cloud';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud();
  // Doors open one hour after the test clock's start: every scan here is two hours in.
  cloud.advance(2 * 3600_000);
});

afterAll(async () => {
  await cloud?.close();
});

describe('POST /validate after a change', () => {
  it('decides the next scan by the changed type gates and by the cancellation', async () => {
    cloud.advance(-2 * 3600_000);
    const seeded = await seedEvent(cloud);
    const { purchase } = await buyTickets(cloud, seeded);
    cloud.advance(2 * 3600_000);
    const staff = await cloud.token('venue_staff', seeded.tenant);
    const qr = purchase.tickets[0].qr;
    const scan = async (gateIndex: number, direction: 'in' | 'out') => {
      cloud.advance(1000);
      const response = await cloud.call('POST', '/api/v1/validate', {
        token: staff,
        body: { qr, gateId: seeded.gateIds[gateIndex], direction },
      });
      expect(response.status).toBe(200);
      return response.body as { decision: string; reason: string };
    };

    expect(await scan(0, 'in')).toMatchObject({ decision: 'accept', reason: 'OK' });
    expect(await scan(0, 'out')).toMatchObject({ decision: 'accept', reason: 'OK' });

    const moved = await cloud.call(
      'PATCH',
      `/api/v1/events/${seeded.eventId}/ticket-types/${seeded.ticketTypeIds[0]}`,
      { token: seeded.adminToken, body: { gates: [seeded.gateIds[1]] } },
    );
    expect(moved.status).toBe(200);
    expect(await scan(0, 'in')).toMatchObject({ decision: 'reject', reason: 'WRONG_GATE' });
    expect(await scan(1, 'in')).toMatchObject({ decision: 'accept', reason: 'OK' });
    expect(await scan(1, 'out')).toMatchObject({ decision: 'accept', reason: 'OK' });

    const cancelled = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/cancel`, {
      token: seeded.adminToken,
      body: { reason: 'storm' },
    });
    expect(cancelled.status).toBe(200);
    expect(await scan(1, 'in')).toMatchObject({ decision: 'reject', reason: 'EVENT_CANCELLED' });
  });

  it('decides the next scan by the event’s new times, with no pause for the kept context', async () => {
    cloud.advance(-2 * 3600_000);
    const seeded = await seedEvent(cloud);
    const { purchase } = await buyTickets(cloud, seeded, { quantity: 2 });
    cloud.advance(2 * 3600_000);
    const staff = await cloud.token('venue_staff', seeded.tenant);
    // No clock moves between these scans: the gate's context stays kept unless forgotten.
    const scan = async (qr: string) => {
      const response = await cloud.call('POST', '/api/v1/validate', {
        token: staff,
        body: { qr, gateId: seeded.gateIds[0] },
      });
      expect(response.status).toBe(200);
      return response.body as { decision: string; reason: string };
    };
    expect(await scan(purchase.tickets[0].qr)).toMatchObject({ decision: 'accept', reason: 'OK' });
    const later = await cloud.call('PATCH', `/api/v1/events/${seeded.eventId}`, {
      token: seeded.adminToken,
      body: { doorsOpenAt: new Date(cloud.now() + 1800_000).toISOString() },
    });
    expect(later.status).toBe(200);
    expect(await scan(purchase.tickets[1].qr)).toMatchObject({ decision: 'reject', reason: 'NOT_YET_VALID' });
  });

  it('reads the context again for a ticket of an event another process published after it was kept', async () => {
    cloud.advance(-2 * 3600_000);
    const seeded = await seedEvent(cloud);
    const first = await buyTickets(cloud, seeded);
    const created = await cloud.call('POST', '/api/v1/events', {
      token: seeded.adminToken,
      body: {
        venueId: seeded.venueId,
        name: 'Late show',
        startsAt: new Date(cloud.now() + 3 * 3600_000).toISOString(),
        endsAt: new Date(cloud.now() + 6 * 3600_000).toISOString(),
        doorsOpenAt: new Date(cloud.now() + 3600_000).toISOString(),
      },
    });
    expect(created.status).toBe(201);
    const lateId = (created.body as { id: string }).id;
    const type = await cloud.call('POST', `/api/v1/events/${lateId}/ticket-types`, {
      token: seeded.adminToken,
      body: { name: 'Standard', priceCents: 1000, currency: 'EUR', capacity: 10 },
    });
    expect(type.status).toBe(201);
    cloud.advance(2 * 3600_000);
    const staff = await cloud.token('venue_staff', seeded.tenant);
    const scan = async (qr: string) =>
      (
        await cloud.call('POST', '/api/v1/validate', {
          token: staff,
          body: { qr, gateId: seeded.gateIds[0] },
        })
      ).body as { decision: string; reason: string };
    // The gate's context is read and kept while the late show is still a draft …
    expect(await scan(first.purchase.tickets[0].qr)).toMatchObject({ decision: 'accept' });
    // … which another process then publishes (a service context without this process's cache) and sells.
    const otherProcess = { ...cloud.services, scanContexts: undefined };
    const actor = { userId: 'admin', tenantId: seeded.tenant, role: 'admin' as const };
    expect((await publishEvent(otherProcess, actor, lateId)).ok).toBe(true);
    const late = await buyTickets(cloud, {
      ...seeded,
      eventId: lateId,
      ticketTypeIds: [(type.body as { id: string }).id],
    });
    expect(await scan(late.purchase.tickets[0].qr)).toMatchObject({ decision: 'accept', reason: 'OK' });
  });
});
