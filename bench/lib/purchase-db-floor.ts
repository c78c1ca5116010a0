/**
 * The database floor of a purchase: the SQL statements one buyer's hold → purchase flow runs in the
 * cloud, sent by buyers in a loop through a bare `pg` Pool — no HTTP, no JSON, no JWT, no drizzle, no
 * minting, no payment call — so purchases per second against it say what the database and the driver
 * alone allow at the same concurrency.
 *
 * The statements, in the cloud's order (services/reservations.ts, services/orders.ts):
 *  1. the one-statement hold (the customer's hold lock and count, the conditional ticket-type UPDATE, the
 *     reservation INSERT), then the durability flush the HTTP layer waits for after a successful write;
 *  2. the purchase's read of its hold and the event's key version;
 *  3. every 256th purchase per event, a serial block from `event_counters` (services/serials.ts);
 *  4. `purchase_hold(...)` (order, tickets, change log under the event row's lock), then the flush again.
 *
 * The pools are the cloud's own (`openDatabase` of cloud/db/client.ts, the 20 connections the cloud opens
 * with `synchronous_commit=off`, and the coalesced flush on its second pool of 4), so the buyers queue for
 * connections exactly as the cloud's requests do.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DEFAULT_DATABASE_POOL_SIZE, openDatabase } from '../../cloud/db/client';
import { SerialAllocator } from '../../cloud/services/serials';
import { percentile } from './measure';

/** The cloud's main pool size (DATABASE_POOL_SIZE's default: what one cloud process has). */
export const CLOUD_POOL_SIZE = DEFAULT_DATABASE_POOL_SIZE;
/** The cloud's default per-customer hold cap (HOLD_LIMIT_PER_CUSTOMER). */
const HOLD_LIMIT = 10;
const RESERVATION_TTL_MS = 600_000;

export interface FloorTarget {
  eventId: string;
  typeId: string;
}

export interface FloorResult {
  /** Completed flows (hold + purchase) per second. */
  perSecond: number;
  flows: number;
  failures: number;
  seconds: number;
  /** The purchase half (read, serials, purchase_hold, flush): the part the HTTP purchase p95 compares to. */
  purchaseMs: { p50: number; p95: number; p99: number };
  /** The whole flow, hold through purchase. */
  flowMs: { p50: number; p95: number; p99: number };
  /** Each step alone, connection wait included (the pool is shared as in the cloud). */
  stepMs: Record<Step, { p50: number; p95: number; p99: number }>;
}

type Step = 'hold' | 'flush' | 'read' | 'purchase_hold';

const HOLD_SQL = `
  with quota as materialized (select lock_held_by_customer($1::text, $2::uuid, $3::text, $4::timestamptz) as held),
  taken as (
    update ticket_types set taken = taken + $5::int
     where id = $6::uuid and tenant_id = $1::text and event_id = $2::uuid
       and taken + $5::int <= capacity
       and (select held from quota) + $5::int <= $7::int
       and exists (select 1 from events e where e.id = $2::uuid and e.status = 'published'
                     and e.ends_at > $4::timestamptz)
    returning id, type_no, price_cents, currency
  ),
  made as (
    insert into reservations
      (id, tenant_id, event_id, user_id, status, items, total_cents, currency, expires_at, created_at, updated_at)
    select $8::uuid, $1::text, $2::uuid, $3::text, 'active',
           jsonb_build_array(jsonb_build_object('ticketTypeId', id, 'typeNo', type_no,
             'quantity', $5::int, 'unitPriceCents', price_cents)),
           price_cents * $5::int, currency, $9::timestamptz, $4::timestamptz, $4::timestamptz
      from taken
    returning items, total_cents, currency
  )
  select quota.held, made.items, made.total_cents, made.currency from quota left join made on true`;

const READ_HOLD_SQL = `
  select r.*, e.key_version from reservations r join events e on e.id = r.event_id
   where r.id = $1::uuid and r.tenant_id = $2::text and r.user_id = $3::text`;

const SERIALS_SQL =
  'update event_counters set next_serial = next_serial + $2::int where event_id = $1::uuid returning next_serial';

const PURCHASE_SQL = `
  select purchase_hold($1::uuid, $2::text, $3::uuid, $4::text, $5::timestamptz, $6::uuid, $7::text, $8::int,
                       $9::text, $10::text, $11::uuid[], $12::uuid[], $13::bigint[], $14::int[], $15::text[],
                       $16::text[], $17::text, $18::text[], $19::text[]) as outcome`;

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
};

/** purchase_hold's arguments for a one-ticket hold, as orders.ts passes them (no minting, no names). */
function purchaseArgs(p: {
  holdId: string;
  tenantId: string;
  userId: string;
  target: FloorTarget;
  found: { total_cents: number; currency: string; items: { typeNo: number }[] };
  serial: number;
  qrPad: string;
}): unknown[] {
  const ticketId = randomUUID();
  return [
    p.holdId,
    p.tenantId,
    p.target.eventId,
    p.userId,
    new Date().toISOString(),
    randomUUID(),
    `floor-${randomUUID()}`,
    p.found.total_cents,
    p.found.currency,
    `pay_${ticketId}`,
    [ticketId],
    [p.target.typeId],
    [p.serial],
    [p.found.items[0]!.typeNo],
    [`${p.qrPad}${ticketId}`],
    [ticketId.replaceAll('-', '')],
    null,
    [null],
    [null],
  ];
}

/**
 * Runs `buyers` loops of hold → purchase (buyer i on target i mod targets.length) for `seconds` or
 * `maxFlows` completed flows, whichever comes first. Every purchase must answer 'ok'.
 */
export async function purchaseDatabaseFloor(options: {
  databaseUrl: string;
  tenantId: string;
  targets: readonly FloorTarget[];
  buyers: number;
  seconds: number;
  maxFlows?: number;
}): Promise<FloorResult> {
  const database = await openDatabase({ databaseUrl: options.databaseUrl, maxConnections: CLOUD_POOL_SIZE });
  const pool = database.pool!;
  const serials = new SerialAllocator(async (eventId, size) => {
    const { rows } = await pool.query<{ next_serial: string }>(SERIALS_SQL, [eventId, size]);
    return Number(rows[0]!.next_serial) - size;
  });
  const maxFlows = options.maxFlows ?? 1_000_000;
  const purchaseMs: number[] = [];
  const flowMs: number[] = [];
  const stepMs: Record<Step, number[]> = { hold: [], flush: [], read: [], purchase_hold: [] };
  const timed = async <T>(step: Step, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await run();
    stepMs[step].push(performance.now() - start);
    return result;
  };
  let flows = 0;
  let failures = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  // Stand-ins for what minting makes (CPU work outside the floor): a QR-sized string and a digest.
  const qrPad = randomBytes(96).toString('base64url');

  const buyer = async (i: number) => {
    const userId = `floor-buyer-${i}`;
    const target = options.targets[i % options.targets.length]!;
    while (performance.now() < deadline && flows + failures < maxFlows) {
      const flowStart = performance.now();
      const holdId = randomUUID();
      const now = new Date().toISOString();
      const expires = new Date(Date.now() + RESERVATION_TTL_MS).toISOString();
      const hold = await timed('hold', () =>
        pool.query(HOLD_SQL, [
          options.tenantId,
          target.eventId,
          userId,
          now,
          1,
          target.typeId,
          HOLD_LIMIT,
          holdId,
          expires,
        ]),
      );
      if (!hold.rows[0]?.items) {
        failures++;
        continue;
      }
      await timed('flush', database.flush);

      const purchaseStart = performance.now();
      const { rows } = await timed('read', () =>
        pool.query(READ_HOLD_SQL, [holdId, options.tenantId, userId]),
      );
      const found = rows[0] as
        | { total_cents: number; currency: string; items: { typeNo: number }[] }
        | undefined;
      if (!found) throw new Error('database floor: the hold just made is not there');
      const serial = await serials.allocate(target.eventId, 1);
      const purchased = await timed('purchase_hold', () =>
        pool.query<{ outcome: string }>(
          PURCHASE_SQL,
          purchaseArgs({ holdId, tenantId: options.tenantId, userId, target, found, serial, qrPad }),
        ),
      );
      await timed('flush', database.flush);
      const end = performance.now();
      if (purchased.rows[0]?.outcome !== 'ok') {
        failures++;
        continue;
      }
      // Only flows finished within the time bound count: the rate is over that bound exactly.
      if (end > deadline) break;
      flows++;
      purchaseMs.push(end - purchaseStart);
      flowMs.push(end - flowStart);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.buyers }, (_, i) => buyer(i)));
  } finally {
    await database.close();
  }
  const seconds = Math.min(performance.now() - started, options.seconds * 1000) / 1000;
  return {
    perSecond: flows / seconds,
    flows,
    failures,
    seconds,
    purchaseMs: summary(purchaseMs),
    flowMs: summary(flowMs),
    stepMs: {
      hold: summary(stepMs.hold),
      flush: summary(stepMs.flush),
      read: summary(stepMs.read),
      purchase_hold: summary(stepMs.purchase_hold),
    },
  };
}
