/**
 * Reconciliation of an event with 1,000,000 gate scans on real PostgreSQL (SPEC section 9: ≤ 60 s).
 * Builds, with SQL generate_series on a fresh migrated database, one event with 200,000 tickets (1 %
 * refunded during the event), 40 gate devices at 20 gates and 1,000,000 uploaded scans in five waves
 * (in, out, re-entry, a rejected second entry, out) — with unreadable codes, double admissions (one
 * ticket in 1,000 let in twice), admissions of refunded tickets by gates whose manifest was behind,
 * sequence gaps on every device and skewed clocks on a fifth of them — then times runReconciliation,
 * the function the reconcile-event job runs (one snapshot, every figure in SQL).
 *
 *   npx tsx bench/reconciliation.ts        (BENCH_QUICK=1: 20,000 scans, a harness check)
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { openDatabase } from '../cloud/db/client';
import { runMigrations } from '../cloud/db/migrate';
import type { ServiceContext } from '../cloud/services/context';
import { NO_BUSINESS_EVENTS } from '../cloud/services/context';
import { runReconciliation } from '../cloud/services/reconciliation';
import { benchDatabaseServer, freshDatabase } from './lib/cloud-process';
import type { BenchResult } from './lib/report';

export interface ReconciliationScenario {
  scans: number;
  tickets: number;
  devices: number;
  gates: number;
}

const FULL: ReconciliationScenario = { scans: 1_000_000, tickets: 200_000, devices: 40, gates: 20 };
const QUICK: ReconciliationScenario = { scans: 20_000, tickets: 4_000, devices: 8, gates: 4 };

/** What the steps below build on: one transaction's client and the ids and sizes of the scenario. */
interface Build {
  client: pg.PoolClient;
  tenantId: string;
  venueId: string;
  eventId: string;
  typeId: string;
  doors: number;
  scenario: ReconciliationScenario;
}

/** The venue, the published event (doors at `doors`, on for six hours) and its one ticket type. */
async function insertEvent({ client, tenantId, venueId, eventId, typeId, doors, scenario }: Build) {
  await client.query(
    `insert into venues (id, tenant_id, name, timezone, created_at) values ($1, $2, 'Bench Arena', 'Europe/Berlin', now())`,
    [venueId, tenantId],
  );
  await client.query(
    `insert into events (id, tenant_id, venue_id, name, starts_at, ends_at, doors_open_at, status, epoch,
                         change_seq, created_at, updated_at)
     values ($1, $2, $3, 'Bench Night', $4::timestamptz + interval '1 hour', $4::timestamptz + interval '6 hours',
             $4::timestamptz, 'published', $5, 0, now(), now())`,
    [eventId, tenantId, venueId, new Date(doors).toISOString(), randomUUID()],
  );
  await client.query(
    `insert into ticket_types (id, tenant_id, event_id, type_no, name, price_cents, currency, capacity, taken,
                               created_at, updated_at)
     values ($1, $2, $3, 1, 'General', 3000, 'EUR', $4, $4, now(), now())`,
    [typeId, tenantId, eventId, scenario.tickets],
  );
}

/** The orders (one per four tickets) and the tickets, 1 % of them refunded. */
async function insertTickets({ client, tenantId, eventId, typeId, scenario }: Build) {
  const { tickets } = scenario;
  await client.query(
    `insert into orders (id, tenant_id, event_id, user_id, reservation_id, idempotency_key, status, total_cents,
                         currency, payment_id, created_at)
     select gen_random_uuid(), $1, $2, 'buyer-' || o, gen_random_uuid(), 'key-' || o, 'paid', 12000, 'EUR',
            'pay-' || o, now()
       from generate_series(1, ceil($3 / 4.0)::int) o`,
    [tenantId, eventId, tickets],
  );
  await client.query(
    `insert into tickets (id, tenant_id, event_id, ticket_type_id, order_id, owner_user_id, serial, type_no,
                          generation, status, revoked_reason, qr, digest, issued_at, updated_at)
     select gen_random_uuid(), $1, $2, $3, o.id, o.user_id, s, 1, 1,
            case when s % 100 = 1 then 'revoked' else 'valid' end,
            case when s % 100 = 1 then 'customer_refund' end, 'qr-' || s, 'digest-' || s, now(), now()
       from generate_series(1, $4::int) s
       join (select id, user_id, row_number() over (order by idempotency_key) as n from orders) o
         on o.n = (s - 1) / 4 + 1`,
    [tenantId, eventId, typeId, tickets],
  );
}

/** The change log: every issue before the doors, then the refunds 20 minutes after they opened. */
async function insertChangeLog({ client, tenantId, eventId, doors, scenario }: Build) {
  await client.query(
    `insert into ticket_changes (event_id, seq, tenant_id, op, ticket_id, serial, type_no, generation, status,
                                 digest, reason, created_at)
     select $1, t.serial, $2, 'issue', t.id, t.serial, 1, 1, 'valid', t.digest, null,
            $3::timestamptz - interval '1 day'
       from tickets t where t.event_id = $1`,
    [eventId, tenantId, new Date(doors).toISOString()],
  );
  await client.query(
    `insert into ticket_changes (event_id, seq, tenant_id, op, ticket_id, serial, type_no, generation, status,
                                 digest, reason, created_at)
     select $1, $3::int + row_number() over (order by t.serial), $2, 'revoke', t.id, t.serial, 1, 1, 'revoked',
            t.digest, 'customer_refund', $4::timestamptz + interval '20 minutes'
       from tickets t where t.event_id = $1 and t.status = 'revoked'`,
    [eventId, tenantId, scenario.tickets, new Date(doors).toISOString()],
  );
  await client.query(
    `update events set change_seq = (select max(seq) from ticket_changes where event_id = $1) where id = $1`,
    [eventId],
  );
}

/** The gates, and the devices spread over them; a fifth of the devices run five minutes slow. */
async function insertDevices({ client, tenantId, venueId, scenario }: Build) {
  await client.query(
    `insert into gates (id, tenant_id, venue_id, name, created_at)
     select gen_random_uuid(), $1, $2, 'Gate ' || lpad(g::text, 2, '0'), now() from generate_series(1, $3::int) g`,
    [tenantId, venueId, scenario.gates],
  );
  await client.query(
    `insert into devices (id, tenant_id, gate_id, name, public_key, status, acked_seq, clock_offset_ms, created_at)
     select gen_random_uuid(), $1, g.id, 'Device ' || lpad(d::text, 2, '0'), 'pk-' || d, 'active', 0,
            case when d % 5 = 0 then 300000 else 150 end, now()
       from generate_series(1, $2::int) d
       join (select id, row_number() over (order by name) as n from gates where venue_id = $3) g
         on g.n = (d - 1) % $4 + 1`,
    [tenantId, scenario.devices, venueId, scenario.gates],
  );
}

/**
 * The scans. Wave r (k / tickets) of ticket s (k % tickets + 1): 0 in, 1 out, 2 in again, 3 a second
 * entry (rejected ALREADY_USED — except one ticket in 1,000, which a gate let in: a double admission),
 * 4 out; each wave spread over 30 minutes, each scan at a device chosen by (ticket, wave). One scan in
 * 100 is an unreadable code. Gates synced before the refunds, so refunded tickets scanned after minute
 * 20 are admissions of revoked tickets. Every device then loses five scans on the way up.
 */
async function insertScans({ client, tenantId, eventId, doors, scenario }: Build) {
  const { tickets, scans, devices } = scenario;
  await client.query(
    `create temporary table bench_scans on commit drop as
     with raw as (
       select k, (k % $1::int) + 1 as serial, k / $1::int as wave from generate_series(0, $2::int - 1) k
     ), placed as (
       select r.*, dv.id as device_id, dv.gate_id, dv.clock_offset_ms,
              $3::timestamptz + (r.wave * interval '30 minutes')
                + ((r.serial - 1)::float8 / $1::int) * interval '30 minutes' as at
         from raw r
         join (select id, gate_id, clock_offset_ms, row_number() over (order by name) - 1 as n from devices) dv
           on dv.n = (r.serial * 7 + r.wave * 3) % $4::int
     )
     select p.*, row_number() over (partition by p.device_id order by p.at, p.k) as seq from placed p`,
    [tickets, scans, new Date(doors).toISOString(), devices],
  );
  await client.query(
    `insert into device_scans (device_id, seq, id, tenant_id, gate_id, event_id, ticket_serial, generation,
                               direction, accepted, reason, detail, code_hash, scanned_at, clock_offset_ms,
                               estimated_at, manifest_seq, quarantined, received_at)
     select s.device_id, s.seq, gen_random_uuid(), $1, s.gate_id,
            case when s.k % 100 = 50 then null else $2::uuid end,
            case when s.k % 100 = 50 then null else s.serial end,
            case when s.k % 100 = 50 then null else 1 end,
            case when s.wave in (1, 4) then 'out' else 'in' end,
            case when s.k % 100 = 50 then 0
                 when s.wave = 3 and s.serial % 1000 <> 0 then 0 else 1 end,
            case when s.k % 100 = 50 then 'INVALID'
                 when s.wave = 3 and s.serial % 1000 <> 0 then 'ALREADY_USED' else 'OK' end,
            case when s.k % 100 = 50 then 'signature' end,
            'AAAAAAAAAAAAAAAAAAAAAA',
            s.at - s.clock_offset_ms * interval '1 millisecond', s.clock_offset_ms, s.at, $3::int, 0,
            s.at + interval '10 minutes'
       from bench_scans s`,
    [tenantId, eventId, tickets],
  );
  // Every device lost five scans (seq 101–105) on the way up: its acknowledgement stops before them.
  await client.query('delete from device_scans where seq between 101 and 105');
  await client.query(
    `update devices d set acked_seq = least(100, coalesce((select max(seq) from device_scans s
                                                            where s.device_id = d.id), 0)),
                          last_upload_at = $1::timestamptz, last_seen_at = $1::timestamptz`,
    [new Date(doors + 4 * 3_600_000).toISOString()],
  );
}

/** Fills a migrated database with one event and its scans, in one transaction; returns the event and its tenant. */
async function buildEvent(
  db: Awaited<ReturnType<typeof openDatabase>>,
  scenario: ReconciliationScenario,
): Promise<{ eventId: string; tenantId: string }> {
  const pool = db.pool;
  if (!pool) throw new Error('the reconciliation benchmark needs PostgreSQL');
  const client = await pool.connect();
  const build: Build = {
    client,
    tenantId: 'bench-reconciliation',
    venueId: uuidv7(),
    eventId: uuidv7(),
    typeId: uuidv7(),
    doors: Date.parse('2027-06-01T17:00:00Z'),
    scenario,
  };
  try {
    await client.query('begin');
    await insertEvent(build);
    await insertTickets(build);
    await insertChangeLog(build);
    await insertDevices(build);
    await insertScans(build);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  await pool.query('analyze');
  return { eventId: build.eventId, tenantId: build.tenantId };
}

/** Builds the scenario and times one reconciliation of it; BenchResult[] for bench/run.ts. */
export async function benchReconciliation(options: {
  quick: boolean;
  /** Another size (smoke runs between the quick and the full one). */
  scenario?: ReconciliationScenario;
}): Promise<BenchResult[]> {
  const server = benchDatabaseServer();
  if (!server) return [];
  const scenario = options.scenario ?? (options.quick ? QUICK : FULL);
  const database = await freshDatabase(server, 'bench_reconcile');
  const handle = await openDatabase({ databaseUrl: database.url, maxConnections: 4 });
  try {
    await runMigrations(handle);
    const buildStarted = performance.now();
    const { eventId, tenantId } = await buildEvent(handle, scenario);
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    const reportId = uuidv7();
    await handle.pool!.query(
      `insert into reconciliation_reports (id, tenant_id, event_id, trigger, run_key, status, requested_at)
       values ($1, $2, $3, 'manual', $4, 'pending', now())`,
      [reportId, tenantId, eventId, `manual-${reportId}`],
    );
    // Only what runReconciliation touches; the rest of the context is never reached on this path.
    const ctx = {
      db: handle.db,
      clock: Date.now,
      newId: uuidv7,
      business: NO_BUSINESS_EVENTS,
    } as unknown as ServiceContext;
    const started = performance.now();
    const outcome = await runReconciliation(ctx, reportId);
    const seconds = (performance.now() - started) / 1000;
    if (!outcome.ok) throw new Error(`reconciliation failed: ${outcome.code}`);
    const { summary, admissions, tickets } = outcome.report;
    if (summary.doubleAdmissions === 0 || summary.revokedAdmissions === 0 || summary.sequenceGaps === 0) {
      throw new Error(`the scenario's findings are missing: ${JSON.stringify(summary)}`);
    }
    return [
      {
        // One name at every size (bench/run.ts compares runs by name); the note says the size.
        name: 'reconciliation 1M scans',
        value: seconds,
        unit: 's',
        target: '<= 60',
        pass: seconds <= 60,
        note:
          `${scenario.scans.toLocaleString('en')} scans, ${scenario.tickets.toLocaleString('en')} tickets, ` +
          `${scenario.devices} devices: ${summary.doubleAdmissions} double admissions, ` +
          `${summary.revokedAdmissions} revoked admissions, ${summary.invalidTokenAttempts} invalid codes, ` +
          `${summary.sequenceGaps} gaps, ${summary.skewedDevices} skewed devices, ` +
          `${admissions.uniqueAdmissions} admitted of ${tickets.issued}; data built in ${buildSeconds.toFixed(1)} s`,
      },
    ];
  } finally {
    await handle.close();
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib/report');
  printTable(await benchReconciliation({ quick: process.env.BENCH_QUICK === '1' }));
}
