/**
 * Online undo (issue 17, the box office): venue staff take back an entry or exit made by mistake within
 * a few minutes — by any origin, a gate's or the cloud's own. The rule is the one every door applies
 * (shared/admission/undo.ts decideUndo) at the cloud's clock, over the ticket's whole history; an allowed
 * undo is a record of its own (origin `cloud`, direction `undo`, `undoes` naming the record), appended in
 * the event's change sequence like every admission, so gates receive it with their next pull and fold
 * the undone record out. It names the staff user and their note, for reconciliation.
 *
 * The ticket row is locked first (as /validate and the manual check-in lock it), so two undos of one
 * record — or an undo racing a check-in — take turns and the second decides on the first's outcome.
 */
import { and, eq } from 'drizzle-orm';
import { admissionTimeAfter, CLOUD_ORIGIN } from '../../shared/admission/history';
import { decideUndo } from '../../shared/admission/undo';
import { admissions } from '../db/admissions-schema';
import type { Transaction } from '../db/client';
import { events, tickets } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import { admissionHistoryOf, appendAdmissions } from './admissions';
import type { ServiceContext } from './context';

export interface UndoInput {
  origin: string;
  originSeq: number;
  note?: string | undefined;
}

export interface UndoView {
  undone: { origin: string; originSeq: number };
  undo: { origin: string; originSeq: number; at: string };
}

type UndoResult = Result<{ undo: UndoView }>;

/** Undoes one admission record of an event (origin and number as gates and manifests name it). */
export async function undoAdmission(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  input: UndoInput,
): Promise<UndoResult> {
  const now = ctx.clock();
  const [event] = await ctx.db
    .select({ id: events.id, tenantId: events.tenantId })
    .from(events)
    .where(and(eq(events.id, eventId), eq(events.tenantId, actor.tenantId)));
  if (!event) return fail('NOT_FOUND', 'event not found');
  const target = { origin: input.origin.toLowerCase(), originSeq: input.originSeq };
  const result = await inTransaction(ctx.db, (tx) =>
    undoInTransaction(tx, { actor, event, target, input, now }),
  );
  if (result.ok) ctx.changesCommitted?.();
  return result;
}

async function undoInTransaction(
  tx: Transaction,
  run: {
    actor: Actor;
    event: { id: string; tenantId: string };
    target: { origin: string; originSeq: number };
    input: UndoInput;
    now: number;
  },
): Promise<UndoResult> {
  const { event, target, now } = run;
  const [record] = await tx
    .select({ serial: admissions.serial })
    .from(admissions)
    .where(
      and(
        eq(admissions.eventId, event.id),
        eq(admissions.tenantId, event.tenantId),
        eq(admissions.origin, target.origin),
        eq(admissions.originSeq, target.originSeq),
      ),
    );
  const notFound = fail('ADMISSION_NOT_FOUND', 'No entry or exit with this origin and number.');
  if (!record) return notFound;
  const [ticket] = await tx
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.eventId, event.id), eq(tickets.serial, record.serial)))
    .for('update');
  if (!ticket) return notFound;
  // Read after the lock: every record filed before it is in, and none can be filed until we commit.
  const history = await admissionHistoryOf(
    tx,
    { tenantId: event.tenantId, eventId: event.id },
    record.serial,
  );
  const decided = decideUndo(history, target, now);
  if (!decided.ok) return fail(decided.refusal, decided.message);
  const latestAt = history.reduce<number | undefined>(
    (max, r) => (max === undefined || r.at > max ? r.at : max),
    undefined,
  );
  const [filed] = await appendAdmissions(tx, {
    eventId: event.id,
    records: [
      {
        serial: record.serial,
        origin: null,
        originSeq: null,
        direction: 'undo',
        undoes: target,
        // After every record of the ticket this decision saw (shared/admission/history admissionTimeAfter).
        atMs: admissionTimeAfter(now, latestAt),
        gateId: decided.target.gateId,
        gateName: decided.target.gateName ?? null,
        unconfirmed: false,
        source: 'undo',
        deviceId: null,
        deviceSeq: null,
        recordedBy: run.actor.userId,
        note: run.input.note ?? null,
      },
    ],
    now: new Date(now),
  });
  if (!filed) throw new Error('undoAdmission: the cloud record was not filed');
  return {
    ok: true,
    undo: {
      undone: target,
      undo: { origin: CLOUD_ORIGIN, originSeq: filed.originSeq, at: new Date(filed.at).toISOString() },
    },
  };
}
