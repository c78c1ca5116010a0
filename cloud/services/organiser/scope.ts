/**
 * The event an organiser list is about, as the caller may see it: an event of the caller's tenant (any
 * status: organisers list their drafts too), any tenant's for ops. Another tenant's event is NOT_FOUND
 * exactly like a missing one. The lists then filter their rows by the event AND its tenant, so a row
 * that names the event from another tenant (a foreign device's upload) never shows.
 */
import { and, eq } from 'drizzle-orm';
import { events } from '../../db/schema';
import { fail, type Result } from '../../errors';
import { type Actor, tenantScope } from '../actor';
import type { ServiceContext } from '../context';

/** The event's id and tenant, if the actor may see it. */
export interface ListedEvent {
  id: string;
  tenantId: string;
}

export async function eventOfActor(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<{ event: ListedEvent }>> {
  const [event] = await ctx.db
    .select({ id: events.id, tenantId: events.tenantId })
    .from(events)
    .where(and(eq(events.id, eventId), tenantScope(actor, events.tenantId)));
  return event ? { ok: true, event } : fail('NOT_FOUND', 'event not found');
}
