/**
 * Scan-log ingestion (SPEC section 6, push). Every scan a gate uploads is stored exactly once: the
 * primary key is (device, seq) and the scan's UUIDv7 is unique, and rows go in with ON CONFLICT DO
 * NOTHING, so replays, duplicates and reordered batches change nothing. A row the cloud cannot read, or
 * will not count — another gate's, or naming an event the device does not serve (a device must never
 * write into another tenant's or venue's figures) — is stored in quarantine (./scan-quarantine.ts: the
 * raw JSON and a reason code) and still acknowledged: one bad row must never block a gate's queue. The
 * answer is the longest gap-free prefix of the device's sequence held here; the gate marks its rows sent
 * up to that number.
 *
 * An accepted scan that is new here also becomes an admission record of its event (issue 14,
 * ./admissions.ts) under the gate's own record number (`admissionSeq`), in the same transaction: every
 * other gate of the event then hears of it with its next pull, and `/validate` decides against it. An
 * undo row (direction `undo`, issue 17: a steward's Undo at the station) is stored as a scan like any
 * other and files an undo record under its own `admissionSeq`, naming this device's record `undoesSeq`.
 * An accepted entry or exit at a venue with zones (issue 18) carries the move it made (`fromZone`,
 * `toZone`), which its admission record keeps; a record without them stays as before.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type ScanAck, type ScanBatch, ScanRecord } from '../../shared/sync-protocol';
import type { Executor, Transaction } from '../db/client';
import { parseRows, sqlNumber } from '../db/rows';
import { deviceScans, devices, gates } from '../db/schema';
import { appendAdmissions, type NewAdmission } from './admissions';
import type { ServiceContext } from './context';
import { type DeviceRow, eventsForDevice } from './devices';
import { type QuarantineReason, quarantineReason, storableJson } from './scan-quarantine';

type ScanInsert = typeof deviceScans.$inferInsert;

// 22 columns × 1,000 rows stays far below PostgreSQL's 65,535 bind parameters.
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
  const flag = (value: boolean | number | null | undefined) => (value ? 1 : 0);
  // sql.param keeps each array ONE parameter (a bare array would be spread into a row of parameters).
  const column = <T>(pick: (row: ScanInsert) => T) => sql.param(rows.map(pick));
  const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
  const result = await tx.execute(sql`
    insert into device_scans (device_id, seq, id, tenant_id, gate_id, event_id, ticket_serial, generation,
      direction, accepted, reason, detail, code_hash, scanned_at, clock_offset_ms, estimated_at, manifest_seq,
      admission_seq, undoes_seq, unconfirmed, quarantined, received_at)
    select * from unnest(
      ${column((r) => r.deviceId)}::uuid[], ${column((r) => r.seq)}::bigint[], ${column((r) => r.id)}::uuid[],
      ${column((r) => r.tenantId)}::text[], ${column((r) => r.gateId)}::uuid[], ${column((r) => r.eventId)}::uuid[],
      ${column((r) => r.ticketSerial)}::bigint[], ${column((r) => r.generation)}::int[],
      ${column((r) => r.direction)}::text[], ${column((r) => r.accepted)}::int[], ${column((r) => r.reason)}::text[],
      ${column((r) => r.detail)}::text[], ${column((r) => r.codeHash)}::text[],
      ${column((r) => iso(r.scannedAt))}::timestamptz[], ${column((r) => r.clockOffsetMs)}::bigint[],
      ${column((r) => iso(r.estimatedAt))}::timestamptz[], ${column((r) => r.manifestSeq)}::bigint[],
      ${column((r) => r.admissionSeq ?? null)}::bigint[], ${column((r) => r.undoesSeq ?? null)}::bigint[],
      ${column((r) => flag(r.unconfirmed))}::int[],
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
  /** The moves of the valid entries and exits that name both zones, by seq (admission records keep them). */
  moves: Map<number, { fromZone: string; toZone: string }>;
}

/** A row kept in quarantine: the raw record (made storable) and why the cloud did not take it. */
function quarantineRow(device: DeviceRow, seq: number, reason: string, raw: unknown, receivedAt: Date) {
  return {
    deviceId: device.id,
    seq,
    tenantId: device.tenantId,
    quarantined: 1,
    quarantineReason: reason,
    raw: storableJson(raw),
    receivedAt,
  } satisfies ScanInsert;
}

/** Why a parsed record is not stored as a scan of this device (code and details), or undefined when it is. */
function refusal(
  device: DeviceRow,
  served: ReadonlySet<string>,
  scan: ScanRecord,
): { code: QuarantineReason; details?: string } | undefined {
  if (scan.gateId.toLowerCase() !== device.gateId.toLowerCase()) return { code: 'WRONG_GATE' };
  if (scan.eventId !== null && !served.has(scan.eventId.toLowerCase())) return { code: 'EVENT_NOT_SERVED' };
  if (scan.direction === 'undo') {
    // An undo row is the undo record itself: without all of these it names nothing to file.
    const complete =
      scan.decision === 'accept' &&
      scan.eventId !== null &&
      scan.ticketSerial !== null &&
      scan.admissionSeq !== undefined &&
      scan.undoesSeq !== undefined;
    if (!complete) {
      return {
        code: 'INVALID_ROW',
        details: 'an undo row needs decision accept, eventId, ticketSerial, admissionSeq and undoesSeq',
      };
    }
  }
  return undefined;
}

/**
 * Parses every record of the batch: what is valid, from this device's gate and of an event it serves (or
 * of none: an unreadable code) is stored, the rest kept in quarantine.
 */
function sortBatch(
  device: DeviceRow,
  served: ReadonlySet<string>,
  batch: ScanBatch,
  receivedAt: Date,
): SortedBatch {
  const sorted: SortedBatch = {
    valid: [],
    quarantined: [],
    received: 0,
    latestOffset: undefined,
    moves: new Map(),
  };
  const seen = new Set<number>();
  for (const raw of batch.scans) {
    if (seen.has(raw.seq)) continue; // the same seq twice in one batch: the first one counts
    seen.add(raw.seq);
    const parsed = ScanRecord.safeParse(raw);
    const refused = parsed.success ? refusal(device, served, parsed.data) : undefined;
    if (!parsed.success || refused) {
      const reason = parsed.success
        ? quarantineReason(refused?.code ?? 'INVALID_ROW', refused?.details)
        : quarantineReason('INVALID_ROW', describe(parsed.error));
      sorted.quarantined.push(quarantineRow(device, raw.seq, reason, raw, receivedAt));
      continue;
    }
    const scan = parsed.data;
    sorted.latestOffset = scan.clockOffsetMs;
    if (scan.direction !== 'undo' && scan.fromZone && scan.toZone)
      sorted.moves.set(scan.seq, { fromZone: scan.fromZone, toZone: scan.toZone });
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
      admissionSeq: scan.admissionSeq ?? null,
      undoesSeq: scan.direction === 'undo' ? (scan.undoesSeq ?? null) : null,
      unconfirmed: scan.unconfirmed ? 1 : 0,
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
): Promise<ScanInsert[]> {
  const stored: ScanInsert[] = [];
  for (let start = 0; start < sorted.valid.length; start += INSERT_CHUNK) {
    const chunk = sorted.valid.slice(start, start + INSERT_CHUNK);
    const inserted = await insertScans(tx, chunk);
    const got = new Set(inserted.map((r) => r.seq));
    for (const row of chunk) if (got.has(row.seq)) stored.push(row);
    if (inserted.length === chunk.length) continue;
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
        quarantineRow(device, row.seq, quarantineReason('DUPLICATE_ID'), raw, receivedAt),
      );
    }
  }
  return stored;
}

/**
 * The admission records of the accepted scans this upload stored, appended per event (sorted, so two
 * uploads never take event locks in opposite orders) as the transaction's last locks. Only events the
 * device serves: a device cannot write history into another tenant's or venue's events (sortBatch has
 * already quarantined such scans; checked again here because an admission is what gates act on).
 */
async function appendGateAdmissions(
  tx: Transaction,
  device: DeviceRow,
  served: ReadonlySet<string>,
  stored: readonly ScanInsert[],
  moves: SortedBatch['moves'],
  now: Date,
): Promise<number> {
  const accepted = stored.filter(
    (r) => r.accepted === 1 && r.eventId && r.ticketSerial !== null && r.ticketSerial !== undefined,
  );
  if (accepted.length === 0) return 0;
  const [gate] = await tx.select({ name: gates.name }).from(gates).where(eq(gates.id, device.gateId));
  const byEvent = new Map<string, NewAdmission[]>();
  for (const row of accepted) {
    const eventId = row.eventId!.toLowerCase();
    if (!served.has(eventId)) continue;
    const list = byEvent.get(eventId) ?? [];
    list.push({
      serial: row.ticketSerial!,
      // A scan from an agent older than the admission log carries no record number: the cloud adopts it.
      origin: row.admissionSeq ? device.id : null,
      originSeq: row.admissionSeq ?? null,
      direction: row.direction ?? 'in',
      // A gate's Undo takes back one of its own records (sortBatch let no undo row through without both).
      undoes:
        row.direction === 'undo' && row.undoesSeq
          ? { origin: device.id, originSeq: row.undoesSeq }
          : undefined,
      atMs: row.estimatedAt?.getTime() ?? now.getTime(),
      gateId: device.gateId,
      gateName: gate?.name ?? null,
      unconfirmed: row.unconfirmed === 1,
      source: row.admissionSeq ? 'gate' : 'adopted',
      deviceId: device.id,
      deviceSeq: row.seq,
      ...moves.get(row.seq),
    });
    byEvent.set(eventId, list);
  }
  let appended = 0;
  for (const eventId of [...byEvent.keys()].sort()) {
    appended += (await appendAdmissions(tx, { eventId, records: byEvent.get(eventId)!, now })).length;
  }
  return appended;
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

/** The ids (lower case) of the events the device serves now. */
async function servedEventIds(executor: Executor, device: DeviceRow): Promise<ReadonlySet<string>> {
  return new Set((await eventsForDevice(executor, device)).map((e) => e.id.toLowerCase()));
}

/** Stores a batch of scans from an authenticated device and answers the acknowledged sequence. */
export async function ingestScans(
  ctx: ServiceContext,
  device: DeviceRow,
  batch: ScanBatch,
): Promise<ScanAck> {
  const now = ctx.clock();
  const receivedAt = new Date(now);
  // Once per upload, before the transaction: what a device serves changes only with its enrollment or an
  // event's venue or status, and reading it inside the transaction would hold no lock on those either.
  const served = await servedEventIds(ctx.db, device);
  const sorted = sortBatch(device, served, batch, receivedAt);
  let admitted = 0;
  const ack = await ctx.db.transaction(async (tx) => {
    const storedRows = await storeValidScans(tx, device, sorted, receivedAt);
    const stored = storedRows.length;
    const quarantined = await storeQuarantined(tx, sorted.quarantined);
    const ackedSeq = await advanceAckedSeq(tx, device, receivedAt, sorted.latestOffset);
    admitted = await appendGateAdmissions(tx, device, served, storedRows, sorted.moves, receivedAt);
    return {
      ackedSeq,
      stored,
      quarantined,
      duplicates: Math.max(0, sorted.received - stored - quarantined),
      cloudTime: now,
    };
  });
  // Other gates of the event pull the new admissions now rather than at the next poll.
  if (admitted > 0) ctx.changesCommitted?.();
  // Counted after the commit: a batch that rolled back stored nothing.
  if (ack.stored > 0) ctx.business.scansIngested('stored', ack.stored);
  if (ack.duplicates > 0) ctx.business.scansIngested('duplicate', ack.duplicates);
  if (ack.quarantined > 0) ctx.business.scansIngested('quarantined', ack.quarantined);
  return ack;
}
