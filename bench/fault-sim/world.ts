/**
 * The venue of one simulated run, seeded through the cloud's public API: a tenant with one venue and its
 * gates, the event the gates serve (a general type for every gate and a VIP type for the first gate
 * only), another event at the same venue that no gate serves, sold tickets, and one-time enrollment
 * tokens. The world also remembers every QR it has seen and what it was (ticket serial and generation),
 * and every refund and transfer the run makes, so the checker can tell a false accept from a fair one.
 */
import { randomUUID } from 'node:crypto';
import { CloudApiError } from './cloud-api';
import type { SimCloud } from './sim-cloud';

export interface SimTicket {
  id: string;
  orderId: string;
  serial: number;
  generation: number;
  qr: string;
  /** The customer (JWT `sub`) holding it now. */
  owner: string;
  status: 'valid' | 'revoked';
  /** Driver clock when it was sold (0 for the tickets sold before the run). */
  soldAt: number;
  /** Set when a restore from an earlier backup made the cloud forget this sale. */
  lostAt?: number;
}

export interface SimOrder {
  id: string;
  owner: string;
  ticketIds: string[];
  refunded: boolean;
  lost: boolean;
}

/** One QR the run handed out: which ticket and generation it carries. */
export interface QrIdentity {
  serial: number;
  generation: number;
}

/** A refund or transfer, with what each gate knew of it and when (driver clock, ms). */
export interface Revocation {
  id: number;
  how: 'refund' | 'transfer';
  ticketId: string;
  serial: number;
  /** The generation of the QR this revoked (a transfer revokes the old QR only). */
  generation: number;
  qr: string;
  committedAt: number;
  /** Set when a restore from an earlier backup made the cloud forget this revocation. */
  lostAt?: number;
  /** Per gate: when the driver first saw the tombstone (or newer generation) in that gate's live manifest. */
  knownAt: Array<number | undefined>;
  /** The ticket as it was before, to undo the driver's view when a restore loses this revocation. */
  before: Pick<SimTicket, 'generation' | 'qr' | 'owner' | 'status'>;
}

export interface SimWorld {
  tenant: string;
  admin: { role: 'admin'; tenant: string; sub: string };
  venueId: string;
  /** The venue's zones (issue 18): a Hall, and a Lounge inside it with a small capacity; null = none. */
  zones: SimZones | null;
  gateIds: string[];
  eventId: string;
  otherEventId: string;
  tickets: SimTicket[];
  orders: SimOrder[];
  generalTypeId: string;
  otherTickets: Array<{ qr: string }>;
  /** Every QR handed out so far → its identity. */
  qrs: Map<string, QrIdentity>;
  revocations: Revocation[];
  enrollmentToken(gate: number): Promise<string>;
}

const ORDER_SIZE = 4;
const HOUR = 3_600_000;

async function buy(
  cloud: SimCloud,
  tenant: string,
  eventId: string,
  ticketTypeId: string,
  quantity: number,
  owner: string,
): Promise<{ orderId: string; tickets: Array<{ id: string; qr: string }> }> {
  const customer = { role: 'customer', tenant, sub: owner };
  const hold = await cloud.api(customer, 'POST', `/api/v1/events/${eventId}/reservations`, {
    items: [{ ticketTypeId, quantity }],
  });
  const purchase = await cloud.api<{ order: { id: string }; tickets: Array<{ id: string; qr: string }> }>(
    customer,
    'POST',
    `/api/v1/reservations/${hold.id}/purchase`,
    { paymentToken: 'tok_visa' },
    { 'idempotency-key': `sim-${randomUUID()}` },
  );
  return { orderId: purchase.order.id, tickets: purchase.tickets };
}

/**
 * A purchase as the world records it: the order and its valid tickets held by `owner`, sold at `soldAt`
 * (serial and generation are filled in by `identify`).
 */
function purchased(
  bought: Awaited<ReturnType<typeof buy>>,
  owner: string,
  soldAt: number,
): { order: SimOrder; tickets: SimTicket[] } {
  const tickets = bought.tickets.map(
    (t): SimTicket => ({
      id: t.id,
      orderId: bought.orderId,
      serial: 0,
      generation: 0,
      qr: t.qr,
      owner,
      status: 'valid',
      soldAt,
    }),
  );
  const order = {
    id: bought.orderId,
    owner,
    ticketIds: tickets.map((t) => t.id),
    refunded: false,
    lost: false,
  };
  return { order, tickets };
}

/** Fills in serial and generation of `tickets` from the cloud's database and records their QRs. */
async function identify(cloud: SimCloud, tickets: SimTicket[], qrs: Map<string, QrIdentity>): Promise<void> {
  const rows = await cloud.query<{ id: string; serial: string; generation: number }>(
    'select id, serial, generation from tickets where id = any($1::uuid[])',
    [tickets.map((t) => t.id)],
  );
  const identity = new Map(rows.map((r) => [r.id, { serial: Number(r.serial), generation: r.generation }]));
  for (const ticket of tickets) {
    const found = identity.get(ticket.id);
    if (!found) throw new Error(`ticket ${ticket.id} is not in the cloud's database`);
    ticket.serial = found.serial;
    ticket.generation = found.generation;
    qrs.set(ticket.qr, found);
  }
}

export interface SimZones {
  hallId: string;
  loungeId: string;
  loungeCapacity: number;
}

/**
 * The venue's zones (issue 18): a Hall (the first zone: where the other gates lead, no limit) and a VIP
 * Lounge inside it, open to every type, with room for about a tenth of the tickets — full at times, so
 * ZONE_FULL is decided offline too. Gate 1 is the Lounge door: its passage is Hall → Lounge (an entry there
 * from outside goes straight in; an exit goes back to the Hall), so holders move between zones.
 */
async function seedZones(
  cloud: SimCloud,
  admin: { role: 'admin'; tenant: string; sub: string },
  venueId: string,
  gateIds: readonly string[],
  ticketCount: number,
): Promise<SimZones> {
  const loungeCapacity = Math.max(3, Math.round(ticketCount / 10));
  const hall = await cloud.api(admin, 'POST', `/api/v1/venues/${venueId}/zones`, { name: 'Hall' });
  const lounge = await cloud.api(admin, 'POST', `/api/v1/venues/${venueId}/zones`, {
    name: 'VIP Lounge',
    capacity: loungeCapacity,
  });
  if (gateIds[1])
    await cloud.api(admin, 'PATCH', `/api/v1/venues/${venueId}/gates/${gateIds[1]}`, {
      fromZoneId: hall.id,
      toZoneId: lounge.id,
    });
  return { hallId: hall.id, loungeId: lounge.id, loungeCapacity };
}

/** Seeds the venue; `ticketCount` valid tickets of the served event are sold in orders of four. */
export async function seedWorld(
  cloud: SimCloud,
  options: { gates: number; ticketCount: number; zones?: boolean },
): Promise<SimWorld> {
  const tenant = `faultsim-${randomUUID().slice(0, 8)}`;
  const admin = { role: 'admin' as const, tenant, sub: 'faultsim-admin' };
  const venue = await cloud.api(admin, 'POST', '/api/v1/venues', { name: 'Sim Arena', timezone: 'UTC' });
  const gateIds: string[] = [];
  for (let i = 0; i < options.gates; i++) {
    const gate = await cloud.api(admin, 'POST', `/api/v1/venues/${venue.id}/gates`, { name: `Gate ${i}` });
    gateIds.push(gate.id);
  }
  const zones = options.zones ? await seedZones(cloud, admin, venue.id, gateIds, options.ticketCount) : null;
  // Doors opened three hours ago and close in six: a gate whose clock is an hour off in either
  // direction still judges every ticket inside the window, so its answers must equal the others'.
  const now = Date.now();
  const makeEvent = async (name: string) => {
    const event = await cloud.api(admin, 'POST', '/api/v1/events', {
      venueId: venue.id,
      name,
      doorsOpenAt: new Date(now - 3 * HOUR).toISOString(),
      startsAt: new Date(now - 2 * HOUR).toISOString(),
      endsAt: new Date(now + 6 * HOUR).toISOString(),
    });
    const general = await cloud.api(admin, 'POST', `/api/v1/events/${event.id}/ticket-types`, {
      name: 'General',
      priceCents: 3000,
      currency: 'EUR',
      capacity: 20_000,
    });
    const vip = await cloud.api(admin, 'POST', `/api/v1/events/${event.id}/ticket-types`, {
      name: 'VIP',
      priceCents: 9000,
      currency: 'EUR',
      capacity: 500,
      gates: [gateIds[0]],
    });
    await cloud.api(admin, 'POST', `/api/v1/events/${event.id}/publish`);
    return { id: event.id, generalId: general.id, vipId: vip.id };
  };
  const event = await makeEvent('Sim Night');
  const other = await makeEvent('Other Night');

  const tickets: SimTicket[] = [];
  const orders: SimOrder[] = [];
  for (let i = 0; tickets.length < options.ticketCount; i++) {
    const owner = `fan-${i}`;
    // Every fifth order is VIP: those tickets enter through gate 0 only (WRONG_GATE elsewhere).
    const typeId = i % 5 === 4 ? event.vipId : event.generalId;
    const quantity = Math.min(ORDER_SIZE, options.ticketCount - tickets.length);
    const bought = purchased(await buy(cloud, tenant, event.id, typeId, quantity, owner), owner, 0);
    orders.push(bought.order);
    tickets.push(...bought.tickets);
  }
  const qrs = new Map<string, QrIdentity>();
  await identify(cloud, tickets, qrs);
  const otherBought = await buy(cloud, tenant, other.id, other.generalId, 8, 'fan-elsewhere');

  return {
    tenant,
    admin,
    venueId: venue.id,
    zones,
    gateIds,
    eventId: event.id,
    otherEventId: other.id,
    tickets,
    orders,
    generalTypeId: event.generalId,
    otherTickets: otherBought.tickets.map((t) => ({ qr: t.qr })),
    qrs,
    revocations: [],
    async enrollmentToken(gate) {
      const { token } = await cloud.api<{ token: string }>(
        admin,
        'POST',
        `/api/v1/gates/${gateIds[gate]}/enrollments`,
        { eventIds: [event.id] },
      );
      return token;
    },
  };
}

/**
 * Refunds an order (every valid ticket of it revoked) or transfers a ticket (its old QR revoked), the
 * first eligible one from `pick` on. Returns the revocations made, or none when nothing was eligible or
 * the cloud refused (logged by the caller).
 */
export async function revoke(
  cloud: SimCloud,
  world: SimWorld,
  how: 'refund' | 'transfer',
  pick: number,
  gates: number,
): Promise<Revocation[]> {
  const made: Revocation[] = [];
  const record = (ticket: SimTicket) => {
    const revocation: Revocation = {
      id: world.revocations.length + made.length,
      how,
      ticketId: ticket.id,
      serial: ticket.serial,
      generation: ticket.generation,
      qr: ticket.qr,
      committedAt: Date.now(),
      knownAt: Array.from({ length: gates }, () => undefined),
      before: { generation: ticket.generation, qr: ticket.qr, owner: ticket.owner, status: ticket.status },
    };
    made.push(revocation);
    return revocation;
  };
  if (how === 'refund') {
    const n = world.orders.length;
    const order = Array.from({ length: n }, (_, i) => world.orders[(pick + i) % n]!).find(
      (o) => !o.refunded && !o.lost,
    );
    if (!order) return made;
    // During the event (doors open, tickets admitted) only an admin's explicit override refunds.
    await cloud.api(world.admin, 'POST', `/api/v1/orders/${order.id}/refund`, {
      override: true,
      reason: 'fault-sim',
    });
    order.refunded = true;
    for (const id of order.ticketIds) {
      const ticket = world.tickets.find((t) => t.id === id)!;
      if (ticket.status !== 'valid') continue;
      record(ticket);
      ticket.status = 'revoked';
    }
  } else {
    const n = world.tickets.length;
    const ticket = Array.from({ length: n }, (_, i) => world.tickets[(pick + i) % n]!).find(
      (t) => t.status === 'valid' && t.lostAt === undefined,
    );
    if (!ticket) return made;
    const newOwner = `${ticket.owner}-t${ticket.generation + 1}`;
    let moved: { qr: string; generation: number };
    try {
      moved = await cloud.api<{ qr: string; generation: number }>(
        { role: 'customer', tenant: world.tenant, sub: ticket.owner },
        'POST',
        `/api/v1/tickets/${ticket.id}/transfer`,
        { toUserId: newOwner },
      );
    } catch (error) {
      if (error instanceof CloudApiError && error.status === 409) return made;
      throw error;
    }
    record(ticket);
    ticket.qr = moved.qr;
    ticket.generation = moved.generation;
    ticket.owner = newOwner;
    world.qrs.set(moved.qr, { serial: ticket.serial, generation: moved.generation });
  }
  world.revocations.push(...made);
  return made;
}

/** Sells `quantity` general tickets to a new customer during the run; returns them. */
export async function sell(cloud: SimCloud, world: SimWorld, quantity: number): Promise<SimTicket[]> {
  const owner = `fan-late-${world.orders.length}`;
  const bought = await buy(cloud, world.tenant, world.eventId, world.generalTypeId, quantity, owner);
  const { order, tickets: sold } = purchased(bought, owner, Date.now());
  await identify(cloud, sold, world.qrs);
  world.orders.push(order);
  world.tickets.push(...sold);
  return sold;
}

/**
 * After a restore from a backup taken at `backupAt`: every sale made after it is gone from the cloud
 * (its QRs are still in the holders' hands). Marks those tickets and orders lost; returns the tickets.
 */
export function forgetSalesAfter(world: SimWorld, backupAt: number, restoredAt: number): SimTicket[] {
  const lost = world.tickets.filter((t) => t.lostAt === undefined && t.soldAt > backupAt);
  for (const ticket of lost) ticket.lostAt = restoredAt;
  for (const order of world.orders)
    if (order.ticketIds.some((id) => lost.some((t) => t.id === id))) order.lost = true;
  return lost;
}

/**
 * After a restore from a backup taken at `backupAt`: every revocation committed after it is gone from
 * the cloud. Marks them lost (from `restoredAt`) and undoes them in the driver's view, newest first.
 */
export function forgetRevocationsAfter(world: SimWorld, backupAt: number, restoredAt: number): Revocation[] {
  const lost = world.revocations.filter((r) => r.lostAt === undefined && r.committedAt > backupAt);
  for (const revocation of [...lost].reverse()) {
    revocation.lostAt = restoredAt;
    const ticket = world.tickets.find((t) => t.id === revocation.ticketId)!;
    Object.assign(ticket, revocation.before);
    if (revocation.how === 'refund') {
      const order = world.orders.find((o) => o.id === ticket.orderId);
      if (order) order.refunded = false;
    }
  }
  return lost;
}
