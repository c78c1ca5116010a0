/**
 * Scan-log ingestion (SPEC section 6, push). Every scan a gate uploads is stored exactly once: the
 * primary key is (device, seq) and the scan's UUIDv7 is unique, and rows go in with ON CONFLICT DO
 * NOTHING, so replays, duplicates and reordered batches change nothing. A row the cloud cannot read is
 * stored in quarantine (raw JSON and the reason) and still acknowledged: one bad row must never block a
 * gate's queue. The answer is the longest gap-free prefix of the device's sequence held here; the gate
 * marks its rows sent up to that number.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type ScanAck, type ScanBatch, ScanRecord } from '../../shared/sync-protocol';
import type { Transaction } from '../db/client';
import { parseRows, sqlNumber } from '../db/rows';
import { deviceScans, devices } from '../db/schema';
import type { ServiceContext } from './context';
import type { DeviceRow } from './devices';

type ScanInsert = typeof deviceScans.$inferInsert;

// 19 columns × 1,000 rows stays far below PostgreSQL's 65,535 bind parameters.
const INSERT_CHUNK = 1_000;

function describe(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || 'row'}: ${i.message}`)
    .join('; ')
    .slice(0, 500);
}

/**
 * Inserts valid scans with one statement over column arrays (`unnest`): 19 parameters instead of 19 per
 * row, which PostgreSQL parses and plans once — far faster than a multi-row VALUES list built row by
 * row. Returns the sequence numbers actually inserted (a conflict inserts nothing).
 */
async function insertScans(tx: Transaction, rows: ScanInsert[]): Promise<Array<{ seq: number }>> {
  // sql.param keeps each array ONE parameter (a bare array would be spread into a row of parameters).
  const column = <T>(pick: (row: ScanInsert) => T) => sql.param(rows.map(pick));
  const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
  const result = await tx.execute(sql`
    insert into device_scans (device_id, seq, id, tenant_id, gate_id, event_id, ticket_serial, generation,
      direction, accepted, reason, detail, code_hash, scanned_at, clock_offset_ms, estimated_at, manifest_seq,
      quarantined, received_at)
    select * from unnest(
      ${column((r) => r.deviceId)}::uuid[], ${column((r) => r.seq)}::bigint[], ${column((r) => r.id)}::uuid[],
      ${column((r) => r.tenantId)}::text[], ${column((r) => r.gateId)}::uuid[], ${column((r) => r.eventId)}::uuid[],
      ${column((r) => r.ticketSerial)}::bigint[], ${column((r) => r.generation)}::int[],
      ${column((r) => r.direction)}::text[], ${column((r) => r.accepted)}::int[], ${column((r) => r.reason)}::text[],
      ${column((r) => r.detail)}::text[], ${column((r) => r.codeHash)}::text[],
      ${column((r) => iso(r.scannedAt))}::timestamptz[], ${column((r) => r.clockOffsetMs)}::bigint[],
      ${column((r) => iso(r.estimatedAt))}::timestamptz[], ${column((r) => r.manifestSeq)}::bigint[],
      ${column(() => 0)}::int[], ${column((r) => iso(r.receivedAt))}::timestamptz[])
    on conflict do nothing
    returning seq`);
  return parseRows(InsertedSeq, result);
}

/** A sequence number `insertScans` stored (bigint: it may come back as text). */
const InsertedSeq = z.object({ seq: sqlNumber });
/** The end of the device's gap-free prefix. */
const AckedPrefix = z.object({ acked: sqlNumber });

/** A batch split into rows to store and rows to keep in quarantine, before anything is written. */
interface SortedBatch {
  valid: ScanInsert[];
  quarantined: ScanInsert[];
  /** Distinct sequence numbers in the batch (the same seq twice: the first one counts). */
  received: number;
  /** The clock offset of the batch's last valid scan: the device's latest measurement. */
  latestOffset: number | undefined;
}

/** A row kept in quarantine: the raw record and why the cloud could not take it. */
function quarantineRow(device: DeviceRow, seq: number, reason: string, raw: unknown, receivedAt: Date) {
  return {
    deviceId: device.id,
    seq,
    tenantId: device.tenantId,
    quarantined: 1,
    quarantineReason: reason,
    raw,
    receivedAt,
  } satisfies ScanInsert;
}

/** Parses every record of the batch: what is valid and from this device's gate is stored, the rest kept. */
function sortBatch(device: DeviceRow, batch: ScanBatch, receivedAt: Date): SortedBatch {
  const sorted: SortedBatch = { valid: [], quarantined: [], received: 0, latestOffset: undefined };
  const seen = new Set<number>();
  for (const raw of batch.scans) {
    if (seen.has(raw.seq)) continue; // the same seq twice in one batch: the first one counts
    seen.add(raw.seq);
    const parsed = ScanRecord.safeParse(raw);
    const problem = !parsed.success
      ? describe(parsed.error)
      : parsed.data.gateId !== device.gateId
        ? 'gateId: not this device’s gate'
        : undefined;
    if (!parsed.success || problem) {
      sorted.quarantined.push(quarantineRow(device, raw.seq, problem ?? 'invalid', raw, receivedAt));
      continue;
    }
    const scan = parsed.data;
    sorted.latestOffset = scan.clockOffsetMs;
    sorted.valid.push({
      deviceId: device.id,
      seq: scan.seq,
      id: scan.id,
      tenantId: device.tenantId,
      gateId: scan.gateId,
      eventId: scan.eventId,
      ticketSerial: scan.ticketSerial,
      generation: scan.generation,
      direction: scan.direction,
      accepted: scan.decision === 'accept' ? 1 : 0,
      reason: scan.reason,
      detail: scan.detail,
      codeHash: scan.codeHash,
      scannedAt: new Date(scan.scannedAt),
      clockOffsetMs: scan.clockOffsetMs,
      estimatedAt: new Date(scan.scannedAt + scan.clockOffsetMs),
      manifestSeq: scan.manifestSeq,
      quarantined: 0,
      receivedAt,
    });
  }
  sorted.received = seen.size;
  return sorted;
}

/**
 * Inserts the valid rows in chunks; returns how many were new. A conflict on the scan id under a seq we
 * do not hold yet (a device re-sending one scan under a new number) would leave a gap forever: such rows
 * join `quarantined`, so the sequence closes.
 */
async function storeValidScans(
  tx: Transaction,
  device: DeviceRow,
  sorted: SortedBatch,
  receivedAt: Date,
): Promise<number> {
  let stored = 0;
  for (let start = 0; start < sorted.valid.length; start += INSERT_CHUNK) {
    const chunk = sorted.valid.slice(start, start + INSERT_CHUNK);
    const inserted = await insertScans(tx, chunk);
    stored += inserted.length;
    if (inserted.length === chunk.length) continue;
    const got = new Set(inserted.map((r) => r.seq));
    const missing = chunk.filter((r) => !got.has(r.seq)).map((r) => r.seq);
    const present = await tx
      .select({ seq: deviceScans.seq })
      .from(deviceScans)
      .where(and(eq(deviceScans.deviceId, device.id), inArray(deviceScans.seq, missing)));
    const held = new Set(present.map((r) => r.seq));
    for (const row of chunk) {
      if (got.has(row.seq) || held.has(row.seq)) continue;
      const raw = {
        ...row,
        scannedAt: row.scannedAt?.getTime(),
        estimatedAt: undefined,
        receivedAt: undefined,
      };
      sorted.quarantined.push(
        quarantineRow(
          device,
          row.seq,
          'id: scan id already stored under another sequence number',
          raw,
          receivedAt,
        ),
      );
    }
  }
  return stored;
}

/** Inserts the quarantined rows in chunks; returns how many were new. */
async function storeQuarantined(tx: Transaction, quarantined: ScanInsert[]): Promise<number> {
  let stored = 0;
  for (let start = 0; start < quarantined.length; start += INSERT_CHUNK) {
    const inserted = await tx
      .insert(deviceScans)
      .values(quarantined.slice(start, start + INSERT_CHUNK))
      .onConflictDoNothing()
      .returning({ seq: deviceScans.seq });
    stored += inserted.length;
  }
  return stored;
}

/**
 * Advances the device's acknowledged prefix over what it now holds and records the upload on the device
 * row; returns the new prefix end. The device row lock serialises concurrent uploads of one device.
 */
async function advanceAckedSeq(
  tx: Transaction,
  device: DeviceRow,
  receivedAt: Date,
  latestOffset: number | undefined,
): Promise<number> {
  const [locked] = await tx
    .select({ ackedSeq: devices.ackedSeq })
    .from(devices)
    .where(eq(devices.id, device.id))
    .for('update');
  // The new prefix end: among this device's sequence numbers above the old one, the last of the run
  // that continues it without a gap (seq − row_number is constant exactly along a gap-free run).
  const previous = locked?.ackedSeq ?? 0;
  const prefix = await tx.execute(sql`
    select coalesce(max(seq), ${previous})::bigint as acked from (
      select seq, seq - row_number() over (order by seq) as run
        from device_scans where device_id = ${device.id} and seq > ${previous}) numbered
     where run = ${previous}`);
  const acked = parseRows(AckedPrefix, prefix)[0]?.acked ?? previous;
  await tx
    .update(devices)
    .set({
      ackedSeq: acked,
      lastUploadAt: receivedAt,
      ...(latestOffset === undefined ? {} : { clockOffsetMs: latestOffset }),
      lastSeenAt: receivedAt,
    })
    .where(eq(devices.id, device.id));
  return acked;
}

/** Stores a batch of scans from an authenticated device and answers the acknowledged sequence. */
export async function ingestScans(
  ctx: ServiceContext,
  device: DeviceRow,
  batch: ScanBatch,
): Promise<ScanAck> {
  const now = ctx.clock();
  const receivedAt = new Date(now);
  const sorted = sortBatch(device, batch, receivedAt);
  const ack = await ctx.db.transaction(async (tx) => {
    const stored = await storeValidScans(tx, device, sorted, receivedAt);
    const quarantined = await storeQuarantined(tx, sorted.quarantined);
    const ackedSeq = await advanceAckedSeq(tx, device, receivedAt, sorted.latestOffset);
    return {
      ackedSeq,
      stored,
      quarantined,
      duplicates: Math.max(0, sorted.received - stored - quarantined),
      cloudTime: now,
    };
  });
  // Counted after the commit: a batch that rolled back stored nothing.
  if (ack.stored > 0) ctx.business.scansIngested('stored', ack.stored);
  if (ack.duplicates > 0) ctx.business.scansIngested('duplicate', ack.duplicates);
  if (ack.quarantined > 0) ctx.business.scansIngested('quarantined', ack.quarantined);
  return ack;
}
