/**
 * The answers of the organiser lists and exports (routes/organiser-*.ts, routes/admissions-export.ts)
 * as OpenAPI schemas, with the examples the reference shows. Each example is typed by its schema's input,
 * so an example that stops matching its schema fails the type check.
 */
import { z } from '../http/schemas';

// `format: date-time` in the document, like every instant the API answers (`toISOString`, UTC).
const Iso = z.iso.datetime().openapi({ description: 'ISO 8601, UTC', example: '2027-05-01T18:04:05.000Z' });

export const EventOrderSchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    customerUserId: z.string(),
    status: z.enum(['paid', 'refunded']),
    totalCents: z.number().int(),
    currency: z.string(),
    ticketCount: z.number().int(),
    paymentId: z.string().openapi({ description: 'The payment provider’s reference of the charge' }),
    createdAt: Iso,
    refundedAt: Iso.nullable(),
    refundedBy: z
      .string()
      .nullable()
      .openapi({ description: 'Who refunded; null: the cloud (cancellation)' }),
    refundReason: z.string().nullable(),
    refundOverride: z.enum(['doors_open', 'admitted']).nullable().openapi({
      description: 'The refund rule an admin override set aside, or null',
    }),
  })
  .openapi('EventOrder');

const OrderTicketSchema = z.object({
  id: z.uuid(),
  serial: z.number().int(),
  ticketTypeId: z.uuid(),
  typeNo: z.number().int(),
  ticketTypeName: z.string(),
  status: z.enum(['valid', 'revoked']),
  revokedReason: z.string().nullable(),
  holderUserId: z.string().openapi({ description: 'Who holds the ticket now (after any transfer)' }),
  holderName: z
    .string()
    .nullable()
    .openapi({ description: "The holder's name on the ticket, null when none" }),
  generation: z.number().int(),
});

export const OrderDetailSchema = z
  .object({ ...EventOrderSchema.shape, tickets: z.array(OrderTicketSchema) })
  .openapi('OrderDetail');

export const ORDER_EXAMPLE = {
  id: '0193a5b2-7c1e-7a3b-9f00-000000000001',
  eventId: '0193a5b2-7c1e-7a3b-9f00-0000000000e1',
  customerUserId: 'user-42',
  status: 'refunded',
  totalCents: 5000,
  currency: 'EUR',
  ticketCount: 2,
  paymentId: 'pay_0193a5b2',
  createdAt: '2027-05-01T12:00:00.000Z',
  refundedAt: '2027-05-01T19:30:00.000Z',
  refundedBy: 'admin-7',
  refundReason: 'double booking',
  refundOverride: 'doors_open',
} satisfies z.input<typeof EventOrderSchema>;

export const ORDER_DETAIL_EXAMPLE = {
  ...ORDER_EXAMPLE,
  tickets: [
    {
      id: '0193a5b2-7c1e-7a3b-9f00-0000000000a1',
      serial: 17,
      ticketTypeId: '0193a5b2-7c1e-7a3b-9f00-0000000000b1',
      typeNo: 1,
      ticketTypeName: 'Standard',
      status: 'revoked',
      revokedReason: 'double booking',
      holderUserId: 'user-42',
      holderName: 'Ana Okafor',
      generation: 1,
    },
  ],
} satisfies z.input<typeof OrderDetailSchema>;

const AdmissionSummarySchema = z
  .object({
    admitted: z.boolean().openapi({ description: 'At least one entry recorded' }),
    inside: z.boolean().openapi({ description: 'The last movement was an entry' }),
    firstEntryAt: Iso.nullable(),
    firstEntryGateId: z.uuid().nullable(),
    firstEntryGateName: z.string().nullable(),
    entries: z.number().int(),
    exits: z.number().int(),
  })
  .openapi({ description: 'The ticket’s admission history folded as the gates fold it' });

export const EventTicketSchema = z
  .object({
    id: z.uuid(),
    serial: z.number().int(),
    orderId: z.uuid(),
    ticketTypeId: z.uuid(),
    typeNo: z.number().int(),
    ticketTypeName: z.string(),
    status: z.enum(['valid', 'revoked']),
    revokedReason: z.string().nullable(),
    holderUserId: z.string(),
    holderName: z
      .string()
      .nullable()
      .openapi({ description: 'The holder’s name to check ID against; null when none was given' }),
    generation: z.number().int(),
    issuedAt: Iso,
    admission: AdmissionSummarySchema,
  })
  .openapi('EventTicket');

export const TICKET_EXAMPLE = {
  id: '0193a5b2-7c1e-7a3b-9f00-0000000000a1',
  serial: 17,
  orderId: '0193a5b2-7c1e-7a3b-9f00-000000000001',
  ticketTypeId: '0193a5b2-7c1e-7a3b-9f00-0000000000b1',
  typeNo: 1,
  ticketTypeName: 'Standard',
  status: 'valid',
  revokedReason: null,
  holderUserId: 'user-42',
  holderName: 'Zoë Ångström',
  generation: 1,
  issuedAt: '2027-05-01T12:00:00.000Z',
  admission: {
    admitted: true,
    inside: true,
    firstEntryAt: '2027-05-01T18:04:05.000Z',
    firstEntryGateId: '0193a5b2-7c1e-7a3b-9f00-0000000000c1',
    firstEntryGateName: 'North',
    entries: 1,
    exits: 0,
  },
} satisfies z.input<typeof EventTicketSchema>;

export const AdmissionItemSchema = z
  .object({
    seq: z.number().int().openapi({ description: 'The event change sequence number of the record' }),
    at: Iso.openapi({ description: 'Corrected time of the decision (the cloud’s clock), ISO 8601 UTC' }),
    direction: z.enum(['in', 'out', 'undo']).openapi({
      description: '`undo`: takes back the entry or exit `undoes` names (which then no longer counts)',
    }),
    undoes: z
      .object({ origin: z.string(), originSeq: z.number().int() })
      .nullable()
      .openapi({ description: 'On an undo record: the record it takes back; null otherwise' }),
    serial: z.number().int(),
    ticketId: z.uuid().nullable(),
    ticketTypeId: z.uuid().nullable(),
    typeNo: z.number().int().nullable(),
    ticketTypeName: z.string().nullable(),
    gateId: z.uuid(),
    gateName: z.string().nullable(),
    origin: z
      .string()
      .openapi({ description: 'The deciding gate device’s id, or `cloud` (online validation, box office)' }),
    originSeq: z.number().int(),
    source: z.enum(['gate', 'validate', 'adopted', 'check-in', 'undo']).openapi({
      description:
        '`gate`: a gate’s upload (its undos too); `validate`: online validation; `adopted`: a scan of an ' +
        'agent older than the admission log; `check-in`: manual check-in; `undo`: an undo made online',
    }),
    recordedBy: z
      .string()
      .nullable()
      .openapi({ description: 'The staff user of a manual check-in or an online undo; null otherwise' }),
    note: z.string().nullable().openapi({ description: 'The staff’s note on it, if any' }),
    unconfirmed: z.boolean().openapi({
      description: 'Decided by a gate that reached neither the cloud nor all its peers',
    }),
  })
  .openapi('AdmissionRecord');

export const ADMISSION_EXAMPLE = {
  seq: 42,
  at: '2027-05-01T18:04:05.000Z',
  direction: 'in',
  undoes: null,
  serial: 17,
  ticketId: '0193a5b2-7c1e-7a3b-9f00-0000000000a1',
  ticketTypeId: '0193a5b2-7c1e-7a3b-9f00-0000000000b1',
  typeNo: 1,
  ticketTypeName: 'Standard',
  gateId: '0193a5b2-7c1e-7a3b-9f00-0000000000c1',
  gateName: 'North',
  origin: '0193a5b2-7c1e-7a3b-9f00-0000000000d1',
  originSeq: 3,
  source: 'gate',
  unconfirmed: false,
  recordedBy: null,
  note: null,
} satisfies z.input<typeof AdmissionItemSchema>;
