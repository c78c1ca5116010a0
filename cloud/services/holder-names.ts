/**
 * The holder's (or an admin's) change of a ticket's holder name (issue 17, PATCH /tickets/{id}): the
 * name is normalised (./holder-name-rules.ts), re-sealed to the ticket's current code and appended to
 * the change log as a `rename`, so gates get the new box with their next change.
 */
import { and, eq } from 'drizzle-orm';
import { tickets } from '../db/schema';
import { Rollback, transactionOutcome } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import { appendTicketChanges } from './changes';
import type { ServiceContext } from './context';
import { nameBoxFor, normaliseHolderName } from './holder-name-rules';
import { type TicketView, ticketView, ticketViewColumns } from './tickets';

/**
 * Sets (or, with null, removes) a ticket's holder name. The ticket's holder or an admin of its tenant
 * may; to anyone else the ticket does not exist (404). A revoked ticket (refunded, cancelled) → 409
 * TICKET_NOT_EDITABLE. An unchanged name changes nothing and appends nothing.
 */
export async function setHolderName(
  ctx: ServiceContext,
  actor: Actor,
  ticketId: string,
  input: { holderName: string | null },
): Promise<Result<{ ticket: TicketView }>> {
  const normalised = normaliseHolderName(input.holderName);
  if (!normalised.ok) return fail('VALIDATION_FAILED', `holderName: ${normalised.message}`);
  const { name } = normalised;
  const now = new Date(ctx.clock());
  return transactionOutcome(ctx.db, async (tx) => {
    const [ticket] = await tx
      .select(ticketViewColumns)
      .from(tickets)
      .where(
        and(
          eq(tickets.id, ticketId),
          eq(tickets.tenantId, actor.tenantId),
          actor.role === 'admin' ? undefined : eq(tickets.ownerUserId, actor.userId),
        ),
      )
      .for('update');
    if (!ticket) throw new Rollback(fail('NOT_FOUND', 'ticket not found'));
    if (ticket.status !== 'valid') {
      throw new Rollback(fail('TICKET_NOT_EDITABLE', `the ticket is revoked (${ticket.revokedReason})`));
    }
    if (ticket.holderName === name) return { ok: true as const, ticket: ticketView(ticket) };
    const nameBox = nameBoxFor(ticket, name);
    const [updated] = await tx
      .update(tickets)
      .set({ holderName: name, nameBox, updatedAt: now })
      .where(eq(tickets.id, ticket.id))
      .returning(ticketViewColumns);
    // The event row's lock last (services/changes.ts); a cancelled event has revoked the ticket.
    const head = await appendTicketChanges(tx, {
      tenantId: ticket.tenantId,
      eventId: ticket.eventId,
      now,
      requireStatus: ['draft', 'published'],
      changes: [
        {
          op: 'rename',
          ticketId: ticket.id,
          serial: ticket.serial,
          typeNo: ticket.typeNo,
          generation: ticket.generation,
          status: 'valid',
          digest: ticket.digest,
          nameBox,
          // Unchanged, but the row replaces the gate's: without it the gate would lose the binding.
          holderKey: ticket.holderKey,
        },
      ],
    });
    if (head === undefined) throw new Rollback(fail('TICKET_NOT_EDITABLE', 'the event is cancelled'));
    return { ok: true as const, ticket: ticketView(updated!) };
  });
}
