/**
 * Online validation reads the context of every scan fresh (issue 19 made /validate read it in fewer
 * round trips, not from a cache): a change made through the API — a ticket type's gates, the event's
 * cancellation — decides the very next scan, with no wait for any cache to expire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
