/**
 * The report's undone admissions (issue 17): every entry or exit an undo record of the event took back —
 * at the box office (the staff user who undid it) or at a gate's station (the device) — with the record
 * undone, the undo and its note, earliest undo first. Undone records count nowhere else in the report.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client';
import { parseRows, sqlNumber } from '../../db/rows';
import { MAX_FINDINGS_PER_KIND, type UndoneAdmission } from './report';
import type { ReportScope } from './scope';

const iso = (ms: number) => new Date(ms).toISOString();

const UndoneRow = z
  .object({
    ticket_id: z.string().nullable(),
    serial: sqlNumber,
    origin: z.string(),
    origin_seq: sqlNumber,
    direction: z.enum(['in', 'out']),
    at_ms: sqlNumber,
    gate_id: z.string(),
    gate_name: z.string().nullable(),
    undo_origin: z.string(),
    undo_origin_seq: sqlNumber,
    undo_at_ms: sqlNumber,
    recorded_by: z.string().nullable(),
    device_id: z.string().nullable(),
    device_name: z.string().nullable(),
    note: z.string().nullable(),
  })
  .transform(
    (row): UndoneAdmission => ({
      ticketId: row.ticket_id,
      serial: row.serial,
      undone: {
        origin: row.origin,
        originSeq: row.origin_seq,
        direction: row.direction,
        at: iso(row.at_ms),
        gateId: row.gate_id,
        gateName: row.gate_name,
      },
      undo: {
        origin: row.undo_origin,
        originSeq: row.undo_origin_seq,
        at: iso(row.undo_at_ms),
        recordedBy: row.recorded_by,
        deviceId: row.device_id,
        deviceName: row.device_name,
        note: row.note,
      },
    }),
  );

/** The undone admissions of the event (at most MAX_FINDINGS_PER_KIND). */
export async function undoneAdmissions(
  tx: Executor,
  { eventId, tenantId }: ReportScope,
): Promise<UndoneAdmission[]> {
  return parseRows(
    UndoneRow,
    await tx.execute(sql`
      select t.id::text as ticket_id, u.serial, a.origin, a.origin_seq, a.direction, a.at_ms,
             a.gate_id::text as gate_id, coalesce(a.gate_name, g.name) as gate_name,
             u.origin as undo_origin, u.origin_seq as undo_origin_seq, u.at_ms as undo_at_ms, u.recorded_by,
             d.id::text as device_id, d.name as device_name, u.note
        from admissions u
        join admissions a on a.event_id = u.event_id and a.origin = u.undoes_origin
                         and a.origin_seq = u.undoes_origin_seq and a.direction in ('in', 'out')
        left join tickets t on t.event_id = u.event_id and t.serial = u.serial and t.tenant_id = u.tenant_id
        left join gates g on g.id = a.gate_id and g.tenant_id = u.tenant_id
        left join devices d on u.origin <> 'cloud' and d.id::text = u.origin and d.tenant_id = u.tenant_id
       where u.event_id = ${eventId}::uuid and u.tenant_id = ${tenantId} and u.direction = 'undo'
       order by u.at_ms, u.origin collate "C", u.origin_seq
       limit ${MAX_FINDINGS_PER_KIND}`),
  );
}
