/**
 * Binding a holder's device to a ticket (issue 20, POST /tickets/{id}/holder-key): the wallet makes a key
 * pair on the phone and sends the public half here. The cloud keeps it in the ticket's columns (for
 * `/validate`) and sealed for the gates with the event key ("hk1", shared/crypto/holder-key-box.ts), and
 * appends the binding to the change log as a `bind`, so gates get it with their next pull — online gates
 * within seconds through their push stream — and refuse the previous device's codes.
 *
 * One device per ticket: binding again replaces the key and moves `bindingNo` on (it never goes back,
 * even across transfers, which clear the binding: ./tickets.ts).
 */
import { and, eq } from 'drizzle-orm';
import {
  fromBase64Url,
  HOLDER_CODE_STEP_SECONDS,
  type HolderKeyAlg,
  type HolderKeyBinding,
  holderPublicKeyValid,
  sealHolderKey,
  toBase64Url,
} from '../../shared/crypto';
import { events, tickets } from '../db/schema';
import { Rollback, transactionOutcome } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import { appendTicketChanges } from './changes';
import type { ServiceContext } from './context';

type TicketRow = typeof tickets.$inferSelect;

/** What a binding answers (CONTRACT §5.6): the wallet learns its bindingNo and the cloud's clock. */
export interface HolderKeyBindingView {
  ticketId: string;
  eventId: string;
  serial: number;
  generation: number;
  bindingNo: number;
  alg: HolderKeyAlg;
  boundAt: string;
  stepSeconds: typeof HOLDER_CODE_STEP_SECONDS;
  /** The cloud's clock (unix ms) when it answered: the wallet counts time steps by it. */
  cloudTime: number;
}

/** A ticket's binding as its views show it (the public key itself stays out of the views). */
export interface HolderKeySummary {
  alg: HolderKeyAlg;
  bindingNo: number;
  boundAt: string;
}

const KEY_SHAPE: Record<HolderKeyAlg, string> = {
  Ed25519: 'an Ed25519 public key: base64url of its 32 bytes',
  ES256: 'a P-256 public key: base64url of its 65-byte uncompressed point (0x04 ‖ x ‖ y), on the curve',
};

/** The binding of a ticket row, or null while nobody claimed its current generation. */
export function holderKeySummaryOf(
  row: Pick<TicketRow, 'holderKey' | 'holderKeyAlg' | 'holderKeyBindingNo' | 'holderKeyBoundAt'>,
): HolderKeySummary | null {
  if (!row.holderKey || !row.holderKeyAlg || !row.holderKeyBoundAt) return null;
  return {
    alg: row.holderKeyAlg,
    bindingNo: row.holderKeyBindingNo,
    boundAt: row.holderKeyBoundAt.toISOString(),
  };
}

/**
 * The binding the ticket's columns hold, as shared/admission checks a code against it (`/validate`);
 * undefined when none (or, never expected, a stored key that does not decode).
 */
export function holderKeyBindingOf(
  row: Pick<TicketRow, 'holderPublicKey' | 'holderKeyAlg' | 'holderKeyBindingNo'>,
): HolderKeyBinding | undefined {
  if (!row.holderPublicKey || !row.holderKeyAlg) return undefined;
  const publicKey = fromBase64Url(row.holderPublicKey);
  if (!publicKey) return undefined;
  return { alg: row.holderKeyAlg, publicKey, bindingNo: row.holderKeyBindingNo };
}

/** The key's bytes when they are a public key of `alg`; a clear message otherwise. */
export function parseHolderPublicKey(
  alg: HolderKeyAlg,
  text: string,
): { ok: true; publicKey: Uint8Array } | { ok: false; message: string } {
  const publicKey = fromBase64Url(text);
  if (publicKey && holderPublicKeyValid(alg, publicKey)) return { ok: true, publicKey };
  return { ok: false, message: `publicKey: not ${KEY_SHAPE[alg]}` };
}

/**
 * Binds `publicKey` to the caller's ticket: 400 INVALID_HOLDER_KEY (nothing changes), 404 for a ticket
 * that is not the caller's, 409 TICKET_REVOKED for a refunded or cancelled one. The ticket row is locked
 * first and the event row last (the change log's lock), as every ticket change does.
 */
export async function bindHolderKey(
  ctx: ServiceContext,
  actor: Actor,
  ticketId: string,
  input: { alg: HolderKeyAlg; publicKey: string },
): Promise<Result<{ binding: HolderKeyBindingView }>> {
  const key = parseHolderPublicKey(input.alg, input.publicKey);
  if (!key.ok) return fail('INVALID_HOLDER_KEY', key.message);
  const now = new Date(ctx.clock());
  const outcome: Result<{ binding: HolderKeyBindingView }> = await transactionOutcome(ctx.db, async (tx) => {
    const [ticket] = await tx
      .select()
      .from(tickets)
      .where(
        and(
          eq(tickets.id, ticketId),
          eq(tickets.tenantId, actor.tenantId),
          eq(tickets.ownerUserId, actor.userId),
        ),
      )
      .for('update');
    if (!ticket) throw new Rollback(fail('NOT_FOUND', 'ticket not found'));
    if (ticket.status !== 'valid') {
      throw new Rollback(fail('TICKET_REVOKED', `the ticket is revoked (${ticket.revokedReason})`));
    }
    const bindingNo = ticket.holderKeyBindingNo + 1;
    if (bindingNo > 0xffff) throw new Rollback(fail('CONFLICT', 'the ticket cannot be bound again'));
    const [event] = await tx
      .select({ keyVersion: events.keyVersion })
      .from(events)
      .where(eq(events.id, ticket.eventId));
    const eventKey = event && (await ctx.keyring.eventKey(ticket.eventId, event.keyVersion));
    if (!eventKey) throw new Error(`bindHolderKey: event ${ticket.eventId} has no current key`);
    // The cloud mints no validity window into its tokens, so the box carries none either.
    const holderKey = sealHolderKey(
      eventKey.key,
      eventKey.keyVersion,
      { eventId: ticket.eventId, serial: ticket.serial, generation: ticket.generation },
      { alg: input.alg, publicKey: key.publicKey, bindingNo },
    );
    await tx
      .update(tickets)
      .set({
        holderPublicKey: toBase64Url(key.publicKey),
        holderKeyAlg: input.alg,
        holderKeyBindingNo: bindingNo,
        holderKeyBoundAt: now,
        holderKey,
        updatedAt: now,
      })
      .where(eq(tickets.id, ticket.id));
    // The event row's lock last (./changes.ts); the row repeats the name box, which did not change.
    const head = await appendTicketChanges(tx, {
      tenantId: ticket.tenantId,
      eventId: ticket.eventId,
      now,
      requireStatus: ['draft', 'published'],
      changes: [
        {
          op: 'bind',
          ticketId: ticket.id,
          serial: ticket.serial,
          typeNo: ticket.typeNo,
          generation: ticket.generation,
          status: 'valid',
          digest: ticket.digest,
          nameBox: ticket.nameBox,
          holderKey,
        },
      ],
    });
    if (head === undefined) throw new Rollback(fail('TICKET_REVOKED', 'the event is cancelled'));
    const binding: HolderKeyBindingView = {
      ticketId: ticket.id,
      eventId: ticket.eventId,
      serial: ticket.serial,
      generation: ticket.generation,
      bindingNo,
      alg: input.alg,
      boundAt: now.toISOString(),
      stepSeconds: HOLDER_CODE_STEP_SECONDS,
      cloudTime: ctx.clock(),
    };
    return { ok: true as const, binding };
  });
  // Online gates hear of it now rather than at the watcher's next poll.
  if (outcome.ok) ctx.changesCommitted?.();
  return outcome;
}
