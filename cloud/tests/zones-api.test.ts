/**
 * The zone model as an organiser configures it (issue 18): zones of a venue (create, list in order,
 * change, reorder), gates as passages between them, the zones a ticket type may enter and an event's
 * exitAllAt — every bad input a 400 (or 409) that changes nothing, another tenant's or venue's zone a
 * 404 — and each change reaching the gates: the event's change head moves and the next manifest page
 * carries the new zones, passages, zoneIds and exitAllAt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { enrollTestDevice, pullPage, type TestDevice } from '../test-support/devices';

let cloud: TestCloud;
let seeded: SeededEvent;
let device: TestDevice;
let staff: string;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud, { capacities: [100, 10] });
  device = await enrollTestDevice(cloud, seeded);
  staff = await cloud.token('venue_staff', seeded.tenant);
});
afterAll(async () => {
  await cloud?.close();
});

const zonesPath = () => `/api/v1/venues/${seeded.venueId}/zones`;
const admin = () => seeded.adminToken;

async function addZone(body: object, token = admin()) {
  return cloud.call('POST', zonesPath(), { token, body });
}
async function listZoneNames(token = admin()): Promise<string[]> {
  const listed = await cloud.call('GET', zonesPath(), { token });
  expect(listed.status).toBe(200);
  return listed.body.items.map((z: { name: string }) => z.name);
}
async function head(): Promise<number> {
  const pulled = await pullPage(cloud, device, { eventId: seeded.eventId });
  if (!pulled.page) throw new Error(`pull ${pulled.status}`);
  return pulled.page.head;
}
async function manifestEvent() {
  const pulled = await pullPage(cloud, device, { eventId: seeded.eventId });
  if (!pulled.page) throw new Error(`pull ${pulled.status}`);
  return pulled.page.event;
}

describe('zones of a venue', () => {
  let hall: { id: string };
  let lounge: { id: string };
  let terrace: { id: string };

  it('creates zones in order with defaults, lists them to staff, and tells the gates', async () => {
    const before = await head();
    const created = await addZone({ name: 'Hall', capacity: 500 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      venueId: seeded.venueId,
      name: 'Hall',
      capacity: 500,
      restricted: false,
      reentry: true,
      position: 0,
    });
    hall = created.body;
    lounge = (await addZone({ name: 'VIP lounge', capacity: 2, restricted: true })).body;
    terrace = (await addZone({ name: 'Terrace', capacity: null, reentry: false })).body;
    expect(terrace).toMatchObject({ position: 2, capacity: null, reentry: false, restricted: false });
    expect(await listZoneNames(staff)).toEqual(['Hall', 'VIP lounge', 'Terrace']);
    expect(await head()).toBeGreaterThan(before);
    const event = await manifestEvent();
    expect(event.zones.map((z) => z.name)).toEqual(['Hall', 'VIP lounge', 'Terrace']);
    expect(event.zones[1]).toMatchObject({ id: lounge.id, capacity: 2, restricted: true, reentry: true });
  });

  it('refuses bad input with a clear 400 or 409 and changes nothing', async () => {
    const before = await listZoneNames();
    const bad: Array<[object, number, string]> = [
      [{ name: 'hall' }, 409, 'ZONE_NAME_TAKEN'],
      [{ name: ' HALL ' }, 409, 'ZONE_NAME_TAKEN'],
      [{}, 400, 'VALIDATION_FAILED'],
      [{ name: '' }, 400, 'VALIDATION_FAILED'],
      [{ name: 'Bar', capacity: -1 }, 400, 'VALIDATION_FAILED'],
      [{ name: 'Bar', capacity: 1.5 }, 400, 'VALIDATION_FAILED'],
      [{ name: 'Bar', capacity: '10' }, 400, 'VALIDATION_FAILED'],
      [{ name: 'Bar', restricted: 'yes' }, 400, 'VALIDATION_FAILED'],
      [{ name: 'Bar', position: 0 }, 400, 'VALIDATION_FAILED'],
      [{ name: 'Bar', colour: 'red' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of bad) {
      const response = await addZone(body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.body.error.code).toBe(code);
    }
    const patchBad: Array<[object, number, string]> = [
      [{ name: 'terrace' }, 409, 'ZONE_NAME_TAKEN'],
      [{}, 400, 'VALIDATION_FAILED'],
      [{ capacity: -3 }, 400, 'VALIDATION_FAILED'],
      [{ position: -1 }, 400, 'VALIDATION_FAILED'],
      [{ reentry: null }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of patchBad) {
      const response = await cloud.call('PATCH', `${zonesPath()}/${hall.id}`, { token: admin(), body });
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.body.error.code).toBe(code);
    }
    expect(await listZoneNames()).toEqual(before);
    const listed = await cloud.call('GET', zonesPath(), { token: admin() });
    expect(listed.body.items[0]).toMatchObject({ name: 'Hall', capacity: 500, reentry: true });
  });

  it('is 404 for another tenant or another venue, 403 for staff writing', async () => {
    const other = await seedEvent(cloud);
    const foreign = await cloud.call('GET', zonesPath(), { token: other.adminToken });
    expect(foreign.status).toBe(404);
    const foreignPatch = await cloud.call('PATCH', `${zonesPath()}/${hall.id}`, {
      token: other.adminToken,
      body: { capacity: 1 },
    });
    expect(foreignPatch.status).toBe(404);
    // The zone under another venue of the same tenant.
    const venue = await cloud.call('POST', '/api/v1/venues', {
      token: admin(),
      body: { name: 'Club', timezone: 'Europe/Berlin' },
    });
    const elsewhere = await cloud.call('PATCH', `/api/v1/venues/${venue.body.id}/zones/${hall.id}`, {
      token: admin(),
      body: { capacity: 1 },
    });
    expect(elsewhere.status).toBe(404);
    expect((await addZone({ name: 'Bar' }, staff)).status).toBe(403);
    const customer = await cloud.token('customer', seeded.tenant);
    expect((await cloud.call('GET', zonesPath(), { token: customer })).status).toBe(403);
    expect((await listZoneNames())[0]).toBe('Hall');
  });

  it('changes a zone and reorders (the others keep their order); a lower capacity is allowed', async () => {
    const before = await head();
    const moved = await cloud.call('PATCH', `${zonesPath()}/${terrace.id}`, {
      token: admin(),
      body: { position: 1, capacity: 0, name: 'Roof terrace' },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ name: 'Roof terrace', capacity: 0, position: 1 });
    expect(await listZoneNames()).toEqual(['Hall', 'Roof terrace', 'VIP lounge']);
    const back = await cloud.call('PATCH', `${zonesPath()}/${terrace.id}`, {
      token: admin(),
      body: { position: 99, name: 'Terrace', capacity: null },
    });
    expect(back.body).toMatchObject({ position: 2, capacity: null });
    expect(await listZoneNames()).toEqual(['Hall', 'VIP lounge', 'Terrace']);
    expect(await head()).toBeGreaterThan(before);
    expect((await manifestEvent()).zones.map((z) => z.name)).toEqual(['Hall', 'VIP lounge', 'Terrace']);
  });

  describe('gates as passages', () => {
    const gatePath = (id = '') => `/api/v1/venues/${seeded.venueId}/gates${id ? `/${id}` : ''}`;

    it('creates and changes passages, shown in the gate view and the manifest', async () => {
      const before = await head();
      const loungeDoor = await cloud.call('POST', gatePath(), {
        token: admin(),
        body: { name: 'Lounge door', fromZoneId: hall.id, toZoneId: lounge.id },
      });
      expect(loungeDoor.status, JSON.stringify(loungeDoor.body)).toBe(201);
      expect(loungeDoor.body).toMatchObject({ fromZoneId: hall.id, toZoneId: lounge.id });
      const listed = await cloud.call('GET', gatePath(), { token: staff });
      const north = listed.body.items.find((g: { name: string }) => g.name === 'North');
      expect(north).toMatchObject({ fromZoneId: null, toZoneId: null });
      const changed = await cloud.call('PATCH', gatePath(seeded.gateIds[1]!), {
        token: admin(),
        body: { name: 'Terrace stairs', fromZoneId: hall.id, toZoneId: terrace.id },
      });
      expect(changed.status, JSON.stringify(changed.body)).toBe(200);
      expect(changed.body).toMatchObject({
        name: 'Terrace stairs',
        fromZoneId: hall.id,
        toZoneId: terrace.id,
      });
      expect(await head()).toBeGreaterThan(before);
      const gates = (await manifestEvent()).gates;
      expect(gates.find((g) => g.id === loungeDoor.body.id)).toMatchObject({
        fromZoneId: hall.id,
        toZoneId: lounge.id,
      });
      expect(gates.find((g) => g.id === seeded.gateIds[1])).toMatchObject({
        name: 'Terrace stairs',
        toZoneId: terrace.id,
      });
    });

    it('refuses a passage into itself or through a zone of another venue, changing nothing', async () => {
      const other = await seedEvent(cloud);
      const otherZone = await cloud.call('POST', `/api/v1/venues/${other.venueId}/zones`, {
        token: other.adminToken,
        body: { name: 'Hall' },
      });
      const bad: object[] = [
        { fromZoneId: hall.id },
        { fromZoneId: hall.id, toZoneId: hall.id },
        { toZoneId: otherZone.body.id },
        { fromZoneId: otherZone.body.id, toZoneId: lounge.id },
        { toZoneId: 'outside' },
        { fromZoneId: 'nope' },
      ];
      for (const body of bad) {
        const patched = await cloud.call('PATCH', gatePath(seeded.gateIds[0]!), { token: admin(), body });
        expect(patched.status, JSON.stringify(body)).toBe(400);
        expect(patched.body.error.code).toBe('VALIDATION_FAILED');
        const created = await cloud.call('POST', gatePath(), {
          token: admin(),
          body: { name: 'Side', ...body },
        });
        expect(created.status, JSON.stringify(body)).toBe(400);
      }
      const gates = await cloud.call('GET', gatePath(), { token: admin() });
      expect(gates.body.items.some((g: { name: string }) => g.name === 'Side')).toBe(false);
      expect(gates.body.items.find((g: { id: string }) => g.id === seeded.gateIds[0])).toMatchObject({
        name: 'North',
        fromZoneId: null,
        toZoneId: null,
      });
      const missing = await cloud.call('PATCH', gatePath(other.gateIds[0]!), {
        token: admin(),
        body: { name: 'Mine' },
      });
      expect(missing.status).toBe(404);
    });

    it('refuses a reorder that would lead a gate from its zone into itself (409)', async () => {
      const terraceDoor = await cloud.call('POST', gatePath(), {
        token: admin(),
        body: { name: 'Terrace exit door', fromZoneId: terrace.id },
      });
      expect(terraceDoor.status).toBe(201);
      const moved = await cloud.call('PATCH', `${zonesPath()}/${terrace.id}`, {
        token: admin(),
        body: { position: 0 },
      });
      expect(moved.status).toBe(409);
      expect(moved.body.error.code).toBe('PASSAGE_CONFLICT');
      expect(await listZoneNames()).toEqual(['Hall', 'VIP lounge', 'Terrace']);
    });
  });

  describe('ticket type zones and exitAllAt', () => {
    it('stores a type’s zones, validates them like gates, and sends them to the gates', async () => {
      const typePath = `/api/v1/events/${seeded.eventId}/ticket-types`;
      const before = await head();
      const vip = await cloud.call('POST', typePath, {
        token: admin(),
        body: { name: 'VIP', priceCents: 9000, currency: 'EUR', capacity: 5, zones: [hall.id, lounge.id] },
      });
      expect(vip.status, JSON.stringify(vip.body)).toBe(201);
      expect(vip.body.zones).toEqual([hall.id, lounge.id]);
      const afterCreate = await head();
      expect(afterCreate).toBeGreaterThan(before);

      const other = await seedEvent(cloud);
      const otherZone = await cloud.call('POST', `/api/v1/venues/${other.venueId}/zones`, {
        token: other.adminToken,
        body: { name: 'Lobby' },
      });
      for (const zones of [[otherZone.body.id], ['not-a-uuid'], [hall.id, otherZone.body.id]]) {
        const created = await cloud.call('POST', typePath, {
          token: admin(),
          body: { name: 'Bad', priceCents: 1, currency: 'EUR', capacity: 1, zones },
        });
        expect(created.status, JSON.stringify(zones)).toBe(400);
        const patched = await cloud.call('PATCH', `${typePath}/${vip.body.id}`, {
          token: admin(),
          body: { zones },
        });
        expect(patched.status).toBe(400);
      }
      const types = await cloud.call('GET', typePath, { token: admin() });
      expect(types.body.items.map((t: { name: string }) => t.name)).not.toContain('Bad');
      expect(types.body.items.find((t: { id: string }) => t.id === vip.body.id).zones).toEqual([
        hall.id,
        lounge.id,
      ]);
      const standard = types.body.items.find((t: { name: string }) => t.name === 'Standard');
      expect(standard.zones).toBeNull();

      const narrowed = await cloud.call('PATCH', `${typePath}/${vip.body.id}`, {
        token: admin(),
        body: { zones: [lounge.id] },
      });
      expect(narrowed.body.zones).toEqual([lounge.id]);
      expect(await head()).toBeGreaterThan(afterCreate);
      const manifestType = (await manifestEvent()).ticketTypes.find((t) => t.id === vip.body.id);
      expect(manifestType?.zoneIds).toEqual([lounge.id]);
      const cleared = await cloud.call('PATCH', `${typePath}/${vip.body.id}`, {
        token: admin(),
        body: { zones: [] },
      });
      expect(cleared.body.zones).toBeNull();
    });

    it('sets exitAllAt after startsAt only, shows it and sends it to the gates', async () => {
      const eventPath = `/api/v1/events/${seeded.eventId}`;
      const current = await cloud.call('GET', eventPath, { token: admin() });
      expect(current.body.exitAllAt).toBeNull();
      const startsAt = Date.parse(current.body.startsAt);
      for (const exitAllAt of [
        new Date(startsAt).toISOString(),
        new Date(startsAt - 1).toISOString(),
        'soon',
      ]) {
        const refused = await cloud.call('PATCH', eventPath, { token: admin(), body: { exitAllAt } });
        expect(refused.status, exitAllAt).toBe(400);
      }
      expect((await cloud.call('GET', eventPath, { token: admin() })).body.exitAllAt).toBeNull();
      const before = await head();
      const exitAllAt = new Date(startsAt + 2 * 3600_000).toISOString();
      const set = await cloud.call('PATCH', eventPath, { token: admin(), body: { exitAllAt } });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      expect(set.body.exitAllAt).toBe(exitAllAt);
      expect(await head()).toBeGreaterThan(before);
      expect((await manifestEvent()).exitAllAt).toBe(Date.parse(exitAllAt));
      // Moving startsAt past it is refused too; null clears it.
      const late = new Date(startsAt + 150 * 60_000).toISOString();
      const moved = await cloud.call('PATCH', eventPath, { token: admin(), body: { startsAt: late } });
      expect(moved.status).toBe(400);
      expect(moved.body.error.message).toContain('exitAllAt');
      const cleared = await cloud.call('PATCH', eventPath, { token: admin(), body: { exitAllAt: null } });
      expect(cleared.body.exitAllAt).toBeNull();

      const created = await cloud.call('POST', '/api/v1/events', {
        token: admin(),
        body: {
          venueId: seeded.venueId,
          name: 'Late show',
          startsAt: new Date(startsAt).toISOString(),
          endsAt: new Date(startsAt + 3600_000).toISOString(),
          exitAllAt: new Date(startsAt - 60_000).toISOString(),
        },
      });
      expect(created.status).toBe(400);
    });
  });
});
