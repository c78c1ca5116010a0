/** The demo seed: creates a usable event once, and a second run returns the same data. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from './seed';
import { createTestCloud, type TestCloud } from './test-support/cloud';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud();
});

afterAll(async () => {
  await cloud?.close();
});

describe('seedDemo', () => {
  it('seeds once and admits a seeded ticket at the main gate', async () => {
    const first = await seedDemo(cloud, { tenantId: 'demo-test' });
    expect(first.created).toBe(true);
    expect(first.gates).toHaveLength(2);
    expect(first.tickets).toHaveLength(20);
    const again = await seedDemo(cloud, { tenantId: 'demo-test' });
    expect(again.created).toBe(false);
    expect(again.tickets.map((t) => t.id)).toEqual(first.tickets.map((t) => t.id));

    const staff = await cloud.token('venue_staff', 'demo-test');
    const general = first.tickets.find((t) => t.ticketTypeId === first.ticketTypeIds[0])!;
    const mainGate = first.gates.find((g) => g.name === 'Main entrance')!;
    const scan = await cloud.call('POST', '/api/v1/validate', {
      token: staff,
      body: { qr: general.qr, gateId: mainGate.id },
    });
    expect(scan.body).toMatchObject({ decision: 'accept', reason: 'OK' });
  });
});
