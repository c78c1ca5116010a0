/**
 * The organiser's CSV exports (orders, admissions): one header row, then one row per item, RFC 4180
 * (CRLF line ends, quoting) with the reconciliation report's field rule — `csvField` quotes what needs
 * quoting and puts an apostrophe before text a spreadsheet would run as a formula (names and reasons are
 * typed by people). Rows come from an async source page by page, so an export of any size is produced
 * without holding it in memory.
 */
import { type Result, toAppError } from '../../errors';
import type { Page } from '../pagination';
import { csvField } from '../reconciliation/csv';
import type { AdmissionItem } from './admissions';
import type { OrderSummary } from './orders';

type Cell = string | number | boolean | null | undefined;

/** A CSV column: its header and how an item gives its value. */
export type Column<Row> = readonly [header: string, value: (row: Row) => Cell];

export const ORDER_COLUMNS: readonly Column<OrderSummary>[] = [
  ['order_id', (o) => o.id],
  ['status', (o) => o.status],
  ['customer_user_id', (o) => o.customerUserId],
  ['ticket_count', (o) => o.ticketCount],
  ['total_cents', (o) => o.totalCents],
  ['currency', (o) => o.currency],
  ['payment_id', (o) => o.paymentId],
  ['created_at', (o) => o.createdAt],
  ['refunded_at', (o) => o.refundedAt],
  ['refunded_by', (o) => o.refundedBy],
  ['refund_reason', (o) => o.refundReason],
  ['refund_override', (o) => o.refundOverride],
];

export const ADMISSION_COLUMNS: readonly Column<AdmissionItem>[] = [
  ['seq', (a) => a.seq],
  ['at', (a) => a.at],
  ['direction', (a) => a.direction],
  ['ticket_serial', (a) => a.serial],
  ['ticket_id', (a) => a.ticketId],
  ['ticket_type_no', (a) => a.typeNo],
  ['ticket_type', (a) => a.ticketTypeName],
  ['gate_id', (a) => a.gateId],
  ['gate_name', (a) => a.gateName],
  ['origin', (a) => a.origin],
  ['origin_seq', (a) => a.originSeq],
  ['source', (a) => a.source],
  ['unconfirmed', (a) => a.unconfirmed],
  // Issue 17, after the earlier columns so a reader by position keeps working: undo records and the box office.
  ['undoes_origin', (a) => a.undoes?.origin ?? null],
  ['undoes_origin_seq', (a) => a.undoes?.originSeq ?? null],
  ['recorded_by', (a) => a.recordedBy],
  ['note', (a) => a.note],
];

const line = (cells: Cell[]): string => `${cells.map(csvField).join(',')}\r\n`;

/** The CSV text in chunks: the header line, then one chunk per batch of items. */
export async function* csvChunks<Row>(
  columns: readonly Column<Row>[],
  batches: AsyncIterable<readonly Row[]>,
): AsyncGenerator<string> {
  yield line(columns.map(([header]) => header));
  for await (const batch of batches) {
    if (batch.length > 0) yield batch.map((row) => line(columns.map(([, value]) => value(row)))).join('');
  }
}

/**
 * The items of a keyset list page by page, starting from a first page the caller has already read (so
 * its failures — 404, a bad cursor — were answered before any CSV byte went out); each later page is
 * read only when the consumer asks for it.
 */
export async function* pagesFrom<T>(
  first: Page<T>,
  next: (cursor: string) => Promise<Result<{ page: Page<T> }>>,
): AsyncGenerator<readonly T[]> {
  let page = first;
  yield page.items;
  while (page.nextCursor) {
    const result = await next(page.nextCursor);
    if (!result.ok) throw toAppError(result);
    page = result.page;
    yield page.items;
  }
}
