/**
 * Issues many tickets at once for tests and benchmarks that need a large manifest (tens of thousands
 * of rows) faster than buying them one order at a time: real tokens minted with the cloud's keys, one
 * order, and the tickets written with `unnest` in one transaction with their change-log rows — the same
 * rows a purchase writes, through the one change-log writer (services/changes.ts).
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { ticketTypes } from '../db/schema';
import { appendTicketChanges } from '../services/changes';
import { allocateSerials, mintToken } from '../services/tickets';
import type { SeededEvent, TestCloud } from './cloud';

export interface BulkTicket {
  id: string;
  serial: number;
  qr: string;
}

/** Issues `count` valid tickets of the seeded event's first ticket type (capacity must allow it). */
export async function issueTicketsInBulk(
  cloud: TestCloud,
  seeded: SeededEvent,
  count: number,
): Promise<BulkTicket[]> {
  const ctx = cloud.services;
  const [type] = await ctx.db.select().from(ticketTypes).where(eq(ticketTypes.id, seeded.ticketTypeIds[0]!));
  if (!type) throw new Error('issueTicketsInBulk: no ticket type');
  const first = await allocateSerials(ctx, seeded.eventId, count);
  const tickets: Array<BulkTicket & { digest: string }> = [];
  for (let i = 0; i < count; i++) {
    const serial = first + i;
    const token = await mintToken(ctx, {
      eventId: seeded.eventId,
      keyVersion: 1,
      serial,
      typeNo: type.typeNo,
      generation: 1,
    });
    tickets.push({ id: randomUUID(), serial, qr: token.qr, digest: token.digest });
  }
  const now = new Date(cloud.now());
  const orderId = randomUUID();
  const owner = `bulk-${orderId}`;
  await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`update ticket_types set taken = taken + ${count} where id = ${type.id}`);
    await tx.execute(sql`insert into orders (id, tenant_id, event_id, user_id, reservation_id, idempotency_key, status,
        total_cents, currency, payment_id, created_at)
      values (${orderId}, ${seeded.tenant}, ${seeded.eventId}, ${owner}, ${randomUUID()}, ${`bulk-${orderId}`}, 'paid',
        0, ${type.currency}, ${`bulk-${orderId}`}, ${now.toISOString()})`);
    const column = <T>(pick: (t: (typeof tickets)[number]) => T) => sql.param(tickets.map(pick));
    await tx.execute(sql`insert into tickets (id, tenant_id, event_id, ticket_type_id, order_id, owner_user_id, serial,
        type_no, generation, status, qr, digest, issued_at, updated_at)
      select id, ${seeded.tenant}, ${seeded.eventId}::uuid, ${type.id}::uuid, ${orderId}::uuid, ${owner}, serial,
        ${type.typeNo}, 1, 'valid', qr, digest, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
      from unnest(${column((t) => t.id)}::uuid[], ${column((t) => t.serial)}::bigint[], ${column((t) => t.qr)}::text[],
        ${column((t) => t.digest)}::text[]) as t(id, serial, qr, digest)`);
    // The change log last: its event-row lock numbers these rows after every earlier change.
    const head = await appendTicketChanges(tx, {
      tenantId: seeded.tenant,
      eventId: seeded.eventId,
      now,
      changes: tickets.map((t) => ({
        op: 'issue',
        ticketId: t.id,
        serial: t.serial,
        typeNo: type.typeNo,
        generation: 1,
        status: 'valid',
        digest: t.digest,
      })),
    });
    if (head === undefined) throw new Error('issueTicketsInBulk: no such event in this tenant');
  });
  await cloud.database.flush();
  return tickets.map(({ id, serial, qr }) => ({ id, serial, qr }));
}
