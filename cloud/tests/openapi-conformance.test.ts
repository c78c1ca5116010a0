/**
 * The served OpenAPI document tells the truth about real answers: every operation it lists is driven
 * through the real app (real database) at least once to a success and — where it documents one — to a
 * 4xx, and every answer on the way (seeding included, error bodies included) must match a documented
 * status, content type and schema (test-support/openapi-conformance.ts). An operation that was not
 * exercised, or any mismatch, fails the suite; the count of operations checked is printed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedOpenApiDocument } from '../../scripts/openapi-document';
import { generateDeviceKeyPair, toBase64Url } from '../../shared/crypto';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollmentToken, enrollTestDevice, pullPage, refreshDeviceToken } from '../test-support/devices';
import { gateReport, sendGateReport } from '../test-support/gate-report';
import { holderDevice } from '../test-support/holder-device';
import { type Conformance, watchResponses } from '../test-support/openapi-conformance';
import { scanRecord } from '../test-support/scan-records';

let cloud: TestCloud;
let conformance: Conformance;
let seeded: SeededEvent;
let staff: string;
let customer: string;
let ops: string;
const missing = randomUUID();

beforeAll(async () => {
  cloud = await createTestCloud();
  const document = (await cloud.call('GET', '/openapi.json')).body;
  conformance = watchResponses(cloud, document);
  seeded = await seedEvent(cloud, { capacities: [100, 2] });
  staff = await cloud.token('venue_staff', seeded.tenant);
  customer = await cloud.token('customer', seeded.tenant, 'customer-conformance');
  ops = await cloud.token('ops', 'platform');
});

afterAll(async () => {
  await cloud?.close();
});

/** Calls and returns the answer; the watcher has already checked it against the document. */
const call = (
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) => cloud.call(method, path, options);

describe('every operation answers as the document says', () => {
  it('venues and gates', async () => {
    const admin = seeded.adminToken;
    expect(
      (await call('POST', '/api/v1/venues', { token: admin, body: { name: 'X', timezone: 'Mars/Base' } }))
        .status,
    ).toBe(400);
    expect(
      (await call('POST', '/api/v1/venues', { token: customer, body: { name: 'X', timezone: 'UTC' } }))
        .status,
    ).toBe(403);
    expect((await call('POST', '/api/v1/venues', { body: { name: 'X', timezone: 'UTC' } })).status).toBe(401);
    const asText = await call('POST', '/api/v1/venues', {
      token: admin,
      body: 'name=X',
      headers: { 'content-type': 'text/plain' },
    });
    expect(asText.status).toBe(415);
    const huge = await call('POST', '/api/v1/venues', {
      token: admin,
      body: '{}',
      headers: { 'content-length': String(2 * 1024 * 1024) },
    });
    expect(huge.status).toBe(413);
    expect((await call('GET', '/api/v1/venues', { token: staff })).status).toBe(200);
    expect((await call('GET', '/api/v1/venues?limit=0', { token: staff })).status).toBe(400);
    expect((await call('GET', `/api/v1/venues/${seeded.venueId}`, { token: staff })).status).toBe(200);
    expect((await call('GET', `/api/v1/venues/${missing}`, { token: staff })).status).toBe(404);
    expect(
      (await call('POST', `/api/v1/venues/${missing}/gates`, { token: admin, body: { name: 'G' } })).status,
    ).toBe(404);
    expect((await call('GET', `/api/v1/venues/${seeded.venueId}/gates`, { token: staff })).status).toBe(200);
    expect((await call('GET', `/api/v1/venues/${missing}/gates`, { token: staff })).status).toBe(404);
  });

  it('zones and passages', async () => {
    const admin = seeded.adminToken;
    // A venue of its own: zones change how the seeded venue's scans are decided.
    const venue = await call('POST', '/api/v1/venues', {
      token: admin,
      body: { name: 'Z', timezone: 'UTC' },
    });
    const zones = `/api/v1/venues/${venue.body.id}/zones`;
    const hall = await call('POST', zones, { token: admin, body: { name: 'Hall', capacity: 10 } });
    expect(hall.status).toBe(201);
    expect((await call('POST', zones, { token: admin, body: { name: 'hall' } })).status).toBe(409);
    expect((await call('POST', zones, { token: admin, body: { name: 'X', capacity: -1 } })).status).toBe(400);
    expect(
      (await call('POST', `/api/v1/venues/${missing}/zones`, { token: admin, body: { name: 'X' } })).status,
    ).toBe(404);
    const lounge = await call('POST', zones, { token: admin, body: { name: 'Lounge', restricted: true } });
    expect((await call('GET', zones, { token: staff })).status).toBe(200);
    expect((await call('GET', `/api/v1/venues/${missing}/zones`, { token: staff })).status).toBe(404);
    const zone = `${zones}/${lounge.body.id}`;
    expect((await call('PATCH', zone, { token: admin, body: { capacity: 40 } })).status).toBe(200);
    expect((await call('PATCH', zone, { token: admin, body: { name: 'HALL' } })).status).toBe(409);
    expect((await call('PATCH', zone, { token: admin, body: {} })).status).toBe(400);
    expect((await call('PATCH', `${zones}/${missing}`, { token: admin, body: { capacity: 1 } })).status).toBe(
      404,
    );
    const gates = `/api/v1/venues/${venue.body.id}/gates`;
    const door = await call('POST', gates, {
      token: admin,
      body: { name: 'Lounge door', fromZoneId: hall.body.id, toZoneId: lounge.body.id },
    });
    expect(door.status).toBe(201);
    expect(
      (await call('POST', gates, { token: admin, body: { name: 'Bad', fromZoneId: hall.body.id } })).status,
    ).toBe(400);
    const gate = `${gates}/${door.body.id}`;
    expect((await call('PATCH', gate, { token: admin, body: { name: 'VIP stairs' } })).status).toBe(200);
    expect((await call('PATCH', gate, { token: admin, body: { toZoneId: hall.body.id } })).status).toBe(400);
    expect((await call('PATCH', `${gates}/${missing}`, { token: admin, body: { name: 'G' } })).status).toBe(
      404,
    );
  });

  it('events and ticket types', async () => {
    const admin = seeded.adminToken;
    const base = `/api/v1/events/${seeded.eventId}`;
    const backwards = {
      venueId: seeded.venueId,
      name: 'B',
      startsAt: '2027-06-02T00:00:00Z',
      endsAt: '2027-06-01T00:00:00Z',
    };
    expect((await call('POST', '/api/v1/events', { token: admin, body: backwards })).status).toBe(400);
    expect((await call('GET', '/api/v1/events', { token: customer })).status).toBe(200);
    expect((await call('GET', '/api/v1/events?cursor=nope', { token: customer })).status).toBe(400);
    expect((await call('GET', base, { token: customer })).status).toBe(200);
    expect((await call('GET', `/api/v1/events/${missing}`, { token: customer })).status).toBe(404);
    expect((await call('PATCH', base, { token: admin, body: { name: 'Concert (late show)' } })).status).toBe(
      200,
    );
    expect((await call('PATCH', base, { token: admin, body: {} })).status).toBe(400);
    expect((await call('POST', `${base}/publish`, { token: admin })).status).toBe(409);
    const type = { name: 'Extra', priceCents: 100, currency: 'EUR', capacity: 5 };
    expect(
      (await call('POST', `/api/v1/events/${missing}/ticket-types`, { token: admin, body: type })).status,
    ).toBe(404);
    expect((await call('GET', `${base}/ticket-types`, { token: customer })).status).toBe(200);
    expect((await call('GET', `/api/v1/events/${missing}/ticket-types`, { token: customer })).status).toBe(
      404,
    );
    const typePath = `${base}/ticket-types/${seeded.ticketTypeIds[0]}`;
    expect((await call('PATCH', typePath, { token: admin, body: { capacity: 150 } })).status).toBe(200);
    expect((await call('PATCH', typePath, { token: admin, body: { capacity: -1 } })).status).toBe(400);
    // A draft to delete and to cancel: deletion once, then 404; cancelling a deleted one is 404 too.
    const draft = await seedEvent(cloud, { publish: false, tenant: seeded.tenant });
    const draftPath = `/api/v1/events/${draft.eventId}`;
    expect((await call('DELETE', draftPath, { token: admin })).status).toBe(204);
    expect((await call('DELETE', draftPath, { token: admin })).status).toBe(404);
    expect(
      (await call('POST', `${draftPath}/cancel`, { token: admin, body: { reason: 'gone' } })).status,
    ).toBe(404);
    const other = await seedEvent(cloud, { tenant: seeded.tenant });
    expect(
      (
        await call('POST', `/api/v1/events/${other.eventId}/cancel`, {
          token: admin,
          body: { reason: 'Storm' },
        })
      ).status,
    ).toBe(200);
  });

  it('holds, purchases, refunds and tickets', async () => {
    const holds = `/api/v1/events/${seeded.eventId}/reservations`;
    const item = (quantity: number, index = 0) => ({
      items: [{ ticketTypeId: seeded.ticketTypeIds[index], quantity }],
    });
    expect((await call('POST', holds, { token: customer, body: item(3, 1) })).status).toBe(409);
    expect((await call('POST', holds, { token: customer, body: item(51) })).status).toBe(400);
    const released = await call('POST', holds, { token: customer, body: item(1) });
    expect(released.status).toBe(201);
    expect(
      (await call('DELETE', `/api/v1/reservations/${released.body.id}`, { token: customer })).status,
    ).toBe(204);
    expect((await call('DELETE', `/api/v1/reservations/${missing}`, { token: customer })).status).toBe(404);
    const hold = await call('POST', holds, { token: customer, body: item(1) });
    const purchase = `/api/v1/reservations/${hold.body.id}/purchase`;
    expect(
      (await call('POST', purchase, { token: customer, body: { paymentToken: 'tok_visa' } })).status,
    ).toBe(400);
    const key = { 'idempotency-key': `key-${randomUUID()}` };
    const declined = await call('POST', purchase, {
      token: customer,
      headers: key,
      body: { paymentToken: 'tok_decline' },
    });
    expect(declined.status).toBe(402);
    const bought = await buyTickets(cloud, seeded, { customerToken: customer, quantity: 2 });
    const [first, second] = bought.purchase.tickets as Array<{ id: string; qr: string }>;
    expect((await call('GET', '/api/v1/me/tickets', { token: customer })).status).toBe(200);
    expect((await call('GET', '/api/v1/me/tickets', { token: seeded.adminToken })).status).toBe(403);
    expect((await call('GET', `/api/v1/tickets/${first!.id}`, { token: customer })).status).toBe(200);
    expect((await call('GET', `/api/v1/tickets/${missing}`, { token: customer })).status).toBe(404);
    expect((await call('GET', `/api/v1/tickets/${first!.id}/qr.svg`, { token: customer })).status).toBe(200);
    expect((await call('GET', `/api/v1/tickets/${missing}/qr.svg`, { token: customer })).status).toBe(404);
    expect(
      (
        await call('POST', `/api/v1/tickets/${second!.id}/transfer`, {
          token: customer,
          body: { toUserId: 'friend-1' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('POST', `/api/v1/tickets/${missing}/transfer`, {
          token: customer,
          body: { toUserId: 'friend-1' },
        })
      ).status,
    ).toBe(404);
    const rename = (id: string, holderName: unknown) =>
      call('PATCH', `/api/v1/tickets/${id}`, { token: customer, body: { holderName } });
    expect((await rename(first!.id, 'Zoë Ångström')).status).toBe(200);
    expect((await rename(first!.id, 'x'.repeat(101))).status).toBe(400);
    expect((await rename(missing, 'Zoë')).status).toBe(404);
    const validate = { qr: first!.qr, gateId: seeded.gateIds[0] };
    expect((await call('POST', '/api/v1/validate', { token: staff, body: validate })).status).toBe(200);
    expect(
      (await call('POST', '/api/v1/validate', { token: seeded.adminToken, body: validate })).status,
    ).toBe(403);
    const other = await buyTickets(cloud, seeded, { quantity: 1 });
    const refund = `/api/v1/orders/${other.purchase.order.id}/refund`;
    expect(
      (await call('POST', refund, { token: other.token, body: { override: true, reason: 'x' } })).status,
    ).toBe(403);
    expect((await call('POST', refund, { token: other.token })).status).toBe(200);
    expect((await call('POST', `/api/v1/orders/${missing}/refund`, { token: other.token })).status).toBe(404);
    // The wallet's device key (issue 20): bound, a bad key, a missing ticket, a refunded one.
    const phone = holderDevice('Ed25519');
    const bindKey = (id: string, token: string, publicKey = phone.publicKeyText) =>
      call('POST', `/api/v1/tickets/${id}/holder-key`, { token, body: { alg: 'Ed25519', publicKey } });
    const bound = await bindKey(first!.id, customer);
    expect(bound.status).toBe(200);
    expect((await bindKey(first!.id, customer, 'AAAA')).status).toBe(400);
    expect((await bindKey(missing, customer)).status).toBe(404);
    expect((await bindKey(other.purchase.tickets[0].id, other.token)).status).toBe(409);
    const serial = (await call('GET', `/api/v1/tickets/${first!.id}`, { token: customer })).body.serial;
    const code = phone.code({ eventId: seeded.eventId, serial, generation: 1, bindingNo: 1 }, cloud.now());
    const scanned = await call('POST', '/api/v1/validate', { token: staff, body: { ...validate, qr: code } });
    expect(scanned.status).toBe(200);
  });

  it('devices and gate sync', async () => {
    const admin = seeded.adminToken;
    expect(
      (await call('POST', `/api/v1/gates/${missing}/enrollments`, { token: admin, body: {} })).status,
    ).toBe(404);
    expect((await call('GET', '/api/v1/devices', { token: admin })).status).toBe(200);
    expect((await call('GET', '/api/v1/devices', { token: customer })).status).toBe(403);
    const device = await enrollTestDevice(cloud, seeded, 0);
    const bogus = {
      enrollmentToken: 'x'.repeat(32),
      publicKey: toBase64Url(generateDeviceKeyPair().publicKey),
      name: 'N',
    };
    expect((await call('POST', '/api/v1/devices/enroll', { body: bogus })).status).toBe(401);
    expect((await refreshDeviceToken(cloud, device)).status).toBe(200);
    expect((await call('POST', '/api/v1/devices/challenge', { body: { deviceId: 'nope' } })).status).toBe(
      400,
    );
    const badSignature = { deviceId: device.deviceId, challenge: 'A'.repeat(43), signature: 'A'.repeat(86) };
    expect((await call('POST', '/api/v1/devices/token', { body: badSignature })).status).toBe(401);
    expect((await pullPage(cloud, device, { eventId: seeded.eventId })).status).toBe(200);
    expect(
      (await pullPage(cloud, device, { eventId: seeded.eventId, epoch: 'other', after: 5 })).status,
    ).toBe(409);
    const deviceToken = { authorization: `Bearer ${device.accessToken}` };
    const scan = scanRecord({
      seq: 1,
      gateId: seeded.gateIds[0]!,
      eventId: seeded.eventId,
      ticketSerial: 1,
      scannedAt: cloud.now(),
    });
    expect(
      (await call('POST', '/api/v1/sync/scans', { headers: deviceToken, body: { scans: [scan] } })).status,
    ).toBe(200);
    expect(
      (await call('POST', '/api/v1/sync/scans', { headers: deviceToken, body: { scans: [] } })).status,
    ).toBe(400);
    expect((await sendGateReport(cloud, device, gateReport(cloud))).status).toBe(200);
    expect((await sendGateReport(cloud, device, { protocol: 99 })).status).toBe(400);
    const stream = new AbortController();
    const open = await cloud.app.request('/api/v1/sync/stream', {
      headers: deviceToken,
      signal: stream.signal,
    });
    expect(open.status).toBe(200);
    stream.abort();
    await open.body?.cancel().catch(() => {});
    expect((await call('GET', '/api/v1/sync/stream')).status).toBe(401);
    const spare = await enrollmentToken(cloud, seeded, 1);
    expect(spare.token).toBeTruthy();
    const revoked = await enrollTestDevice(cloud, seeded, 1);
    expect((await call('POST', `/api/v1/devices/${revoked.deviceId}/revoke`, { token: admin })).status).toBe(
      200,
    );
    expect((await call('POST', `/api/v1/devices/${missing}/revoke`, { token: admin })).status).toBe(404);
  });

  it('reports and analytics', async () => {
    const base = `/api/v1/events/${seeded.eventId}`;
    expect((await call('GET', `${base}/attendance`, { token: staff })).status).toBe(200);
    expect((await call('GET', `/api/v1/events/${missing}/attendance`, { token: staff })).status).toBe(404);
    expect((await call('GET', `${base}/operations`, { token: ops })).status).toBe(200);
    expect((await call('GET', `${base}/operations`, { token: customer })).status).toBe(403);
    expect((await call('GET', `${base}/occupancy`, { token: staff })).status).toBe(200);
    expect((await call('GET', `${base}/occupancy`, { token: customer })).status).toBe(403);
    expect((await call('GET', `${base}/reconciliation`, { token: ops })).status).toBe(404);
    expect((await call('POST', `${base}/reconciliation`, { token: seeded.adminToken })).status).toBe(202);
    expect((await call('POST', `/api/v1/events/${missing}/reconciliation`, { token: ops })).status).toBe(404);
    await cloud.jobs.drain();
    expect((await call('GET', `${base}/reconciliation`, { token: ops })).status).toBe(200);
    expect((await call('GET', `${base}/reconciliation?format=csv`, { token: ops })).status).toBe(200);
    // A second run asked for after the report: `newerRun` is an object now, as the document says.
    expect((await call('POST', `${base}/reconciliation`, { token: ops })).status).toBe(202);
    expect((await call('GET', `${base}/reconciliation`, { token: ops })).status).toBe(200);
    const venue = `/api/v1/analytics/venues/${seeded.venueId}`;
    expect((await call('GET', venue, { token: ops })).status).toBe(200);
    expect(
      (await call('GET', `${venue}?from=2027-06-02T00:00:00Z&to=2027-06-01T00:00:00Z`, { token: ops }))
        .status,
    ).toBe(400);
    expect(
      (await call('GET', '/api/v1/analytics/customers/customer-conformance', { token: seeded.adminToken }))
        .status,
    ).toBe(200);
    expect(
      (await call('GET', '/api/v1/analytics/customers/bad%20id', { token: seeded.adminToken })).status,
    ).toBe(400);
  });

  it('organiser lists and exports', async () => {
    const admin = seeded.adminToken;
    const { purchase } = await buyTickets(cloud, seeded);
    expect((await call('GET', `/api/v1/orders/${purchase.order.id}`, { token: admin })).status).toBe(200);
    expect((await call('GET', `/api/v1/orders/${missing}`, { token: admin })).status).toBe(404);
    for (const list of ['orders', 'tickets', 'admissions']) {
      const path = `/api/v1/events/${seeded.eventId}/${list}`;
      expect((await call('GET', path, { token: admin })).status).toBe(200);
      expect((await call('GET', `${path}?limit=0`, { token: admin })).status).toBe(400);
    }
    // The box office's search (issue 17): a serial, and a query that is only blanks.
    const search = `/api/v1/events/${seeded.eventId}/tickets`;
    expect((await call('GET', `${search}?q=1`, { token: staff })).status).toBe(200);
    expect((await call('GET', `${search}?q=%20%20`, { token: staff })).status).toBe(400);
    for (const list of ['orders', 'admissions']) {
      const path = `/api/v1/events/${seeded.eventId}/${list}?format=csv`;
      expect((await call('GET', path, { token: admin })).status).toBe(200);
    }
  });

  it('box office: manual check-in and undo', async () => {
    // Past the doors (seedEvent opens them an hour in), so the check-in files a record to undo.
    cloud.advance(2 * 3600_000);
    const bought = await buyTickets(cloud, seeded);
    const ticketId = bought.purchase.tickets[0].id as string;
    const checkIn = `/api/v1/events/${seeded.eventId}/tickets/${ticketId}/check-in`;
    const checked = await call('POST', checkIn, { token: staff, body: { gateId: seeded.gateIds[0] } });
    expect(checked.body).toMatchObject({ decision: 'accept', admission: { origin: 'cloud' } });
    expect((await call('POST', checkIn, { token: staff, body: { gateId: missing } })).status).toBe(404);
    const undo = `/api/v1/events/${seeded.eventId}/admissions/undo`;
    const target = { origin: 'cloud', originSeq: checked.body.admission.originSeq };
    expect((await call('POST', undo, { token: staff, body: target })).status).toBe(200);
    expect((await call('POST', undo, { token: staff, body: target })).status).toBe(409);
    expect(
      (await call('POST', undo, { token: staff, body: { origin: 'cloud', originSeq: 99_999 } })).status,
    ).toBe(404);
  });

  it('health and metrics', async () => {
    for (const path of ['/health', '/health/live', '/health/ready'])
      expect((await call('GET', path)).status).toBe(200);
    expect((await call('GET', '/metrics', { token: ops })).status).toBe(200);
    expect((await call('GET', '/metrics', { token: seeded.adminToken })).status).toBe(403);
  });

  it('answers a method a path does not offer with 405 and Allow, and an unknown path with 404', async () => {
    const put = await call('PUT', `/api/v1/events/${seeded.eventId}`, { token: seeded.adminToken, body: {} });
    expect(put.status).toBe(405);
    expect(put.body.error.code).toBe('METHOD_NOT_ALLOWED');
    expect(put.headers.get('allow')).toBe('DELETE, GET, HEAD, OPTIONS, PATCH');
    const health = await call('POST', '/health');
    expect(health.status).toBe(405);
    expect(health.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect((await call('GET', '/api/v1/nothing-here', { token: seeded.adminToken })).status).toBe(404);
  });

  it('left no answer outside the document and no operation unexercised', () => {
    expect(conformance.mismatches).toEqual([]);
    const unexercised: string[] = [];
    for (const operation of conformance.operations) {
      const statuses = [...(conformance.exercised.get(operation) ?? [])];
      const documented4xx = operation.startsWith('GET /health');
      if (!statuses.some((status) => status < 300)) unexercised.push(`${operation}: no success`);
      if (!documented4xx && !statuses.some((status) => status >= 400 && status < 500)) {
        unexercised.push(`${operation}: no error`);
      }
    }
    expect(unexercised).toEqual([]);
    console.log(
      `openapi conformance: ${conformance.operations.length} operations validated, each with a success and an error where it has one`,
    );
  });

  it('is the document `npm run lint:openapi` lints (built without a database)', async () => {
    expect(await servedOpenApiDocument()).toEqual((await cloud.call('GET', '/openapi.json')).body);
  });

  it('the check itself fails on a schema or a status the answer does not match', async () => {
    // Last: it layers a second watcher, with a document that lies, over the real one.
    const document = (await cloud.call('GET', '/openapi.json')).body;
    document.components.schemas.Venue.required.push('capacity');
    delete document.paths['/api/v1/venues/{id}'].get.responses['404'];
    const lying = watchResponses(cloud, document);
    await call('GET', `/api/v1/venues/${seeded.venueId}`, { token: staff });
    await call('GET', `/api/v1/venues/${missing}`, { token: staff });
    expect(lying.mismatches).toEqual([
      expect.stringContaining("must have required property 'capacity'"),
      expect.stringContaining('answered 404, which it does not document'),
    ]);
  });
});
