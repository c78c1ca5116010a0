/**
 * The reconciliation report of an event (SPEC section 8), as one zod schema: the TypeScript types are
 * inferred from it, the route documents its response with it (zod metadata carries the OpenAPI names
 * and descriptions), the CSV columns are a table over its sections (./csv.ts), and a stored report is
 * parsed through it when read back. Adding a field to a section is an edit here (plus its query, and
 * one line of the CSV table, which the compiler asks for).
 *
 * Times are ISO 8601 UTC. Gate scans are placed in time by the cloud's estimate (device clock + the
 * offset measured at the device's last sync), the same way attendance does.
 */
import { z } from 'zod';
import { count, Instant } from '../report-fields';

/** The report format; bumped when a field changes meaning. */
export const RECONCILIATION_REPORT_VERSION = 1;

/** A finding list longer than this is cut (the summary still counts every finding). */
export const MAX_FINDINGS_PER_KIND = 10_000;

/** A device whose clock differs from the cloud's by more than this is reported as skewed. */
export const CLOCK_SKEW_THRESHOLD_MS = 10_000;

/** One accepted scan as a finding names it: where, when, and how late the cloud learnt of it. */
export const AdmissionScanSchema = z
  .object({
    /** `device`: a gate agent's upload; `online`: POST /validate (decided against the cloud itself). */
    source: z.enum(['device', 'online']),
    scanId: z.string(),
    deviceId: z.string().nullable(),
    deviceName: z.string().nullable(),
    /** The device's own sequence number of the scan (null for online scans). */
    seq: z.number().int().nullable(),
    gateId: z.string(),
    gateName: z.string().nullable(),
    direction: z.enum(['in', 'out']),
    /** The cloud's estimate of when the scan happened. */
    at: Instant.meta({ description: 'The cloud’s estimate: device clock + measured offset' }),
    /** The device's wall clock at the scan (null for online scans). */
    deviceClockAt: Instant.nullable(),
    /** When the cloud received the upload (null for online scans: they are recorded as they happen). */
    uploadedAt: Instant.nullable(),
    /** uploadedAt − at, seconds: how long the cloud could not know of this scan. */
    uploadLagSeconds: z.number().nullable(),
    /**
     * The gate decided this admission alone: it reached neither the cloud nor every peer of the event
     * (issue 14). Absent from reports made before the flag existed.
     */
    unconfirmed: z.boolean().optional(),
  })
  .meta({ id: 'AdmissionScan' });
export type AdmissionScan = z.infer<typeof AdmissionScanSchema>;

/**
 * One ticket admitted twice without an exit between, at two devices (or a device and the online channel)
 * that did not know of each other's entry: admissions travel between gates through the cloud and the
 * venue LAN (issue 14), so such a pair means a partition, or two presentations closer together than one
 * delivery. `unconfirmed` when either side was decided by a gate that reached neither the cloud nor all
 * its peers.
 */
export const DoubleAdmissionSchema = z.object({
  ticketId: z.string().nullable(),
  serial: z.number().int(),
  first: AdmissionScanSchema,
  second: AdmissionScanSchema,
  secondsApart: z.number(),
  /** Absent from reports made before the flag existed. */
  unconfirmed: z.boolean().optional(),
});
export type DoubleAdmission = z.infer<typeof DoubleAdmissionSchema>;

/** An entry accepted after the cloud had revoked that ticket (refund, cancellation) or replaced its QR. */
export const RevokedAdmissionSchema = z.object({
  ticketId: z.string().nullable(),
  serial: z.number().int(),
  /** The generation (QR version) that was admitted. */
  generation: z.number().int().nullable(),
  admission: AdmissionScanSchema,
  revocation: z.object({
    /** `revoke`: refund, cancellation; `transfer`: the admitted QR had been replaced by a newer one. */
    op: z.enum(['revoke', 'transfer']),
    /** Its number in the event's manifest change log. */
    seq: z.number().int(),
    at: Instant,
    reason: z.string().nullable(),
  }),
  /** The manifest change sequence the gate had applied when it decided. */
  gateManifestSeq: z.number().int().nullable(),
  /** revocation.seq − gateManifestSeq: how many changes the gate was missing (> 0). */
  changesBehind: z.number().int().nullable(),
  /** When the newest change the gate had applied was made in the cloud (null: it had none). */
  gateManifestAsOf: Instant.nullable(),
  /** admission.at − revocation.at: how long the revocation had existed when the gate admitted. */
  secondsAfterRevocation: z.number(),
});
export type RevokedAdmission = z.infer<typeof RevokedAdmissionSchema>;

/** Scans of a device the cloud never received: a run of missing sequence numbers. */
export const SequenceGapSchema = z.object({
  /** First and last missing sequence numbers (inclusive). */
  fromSeq: z.number().int(),
  toSeq: z.number().int(),
  missing: count,
  /** When the scans on either side of the gap happened (null at the start of the log). */
  after: Instant.nullable(),
  before: Instant.nullable(),
});
export type SequenceGap = z.infer<typeof SequenceGapSchema>;

/** One gate device that served the event or uploaded scans for it. */
export const DeviceReconciliationSchema = z.object({
  deviceId: z.string(),
  name: z.string(),
  gateId: z.string(),
  gateName: z.string().nullable(),
  status: z.enum(['active', 'revoked']),
  /** Scans of this event (and unreadable codes at this device during the event). */
  scans: count,
  accepted: count,
  rejected: count,
  /** Rows of this device the cloud could not read (kept in quarantine); device-wide. */
  quarantined: count,
  firstScanAt: Instant.nullable(),
  lastScanAt: Instant.nullable(),
  /** The longest gap-free prefix of the device's sequence the cloud holds. */
  ackedSeq: count,
  /** The highest sequence number received from the device. */
  highestSeq: count,
  /** Missing ranges between ackedSeq and highestSeq: scans the cloud never received. */
  gaps: z.array(SequenceGapSchema),
  missingScans: count,
  lastUploadAt: Instant.nullable(),
  lastSeenAt: Instant.nullable(),
  /** cloud − device clock (ms) reported with the device's latest upload. */
  clockOffsetMs: z.number().int().nullable(),
  /** Extremes of the offsets carried by this event's scans. */
  minClockOffsetMs: z.number().int().nullable(),
  maxClockOffsetMs: z.number().int().nullable(),
  /** True when any offset above exceeds CLOCK_SKEW_THRESHOLD_MS in either direction. */
  clockSkewed: z.boolean(),
  maxUploadLagSeconds: z.number().nullable(),
});
export type DeviceReconciliation = z.infer<typeof DeviceReconciliationSchema>;

/** Rejected scans of one reason (and detail, such as `signature` for INVALID). */
export const ReasonCountSchema = z.object({ reason: z.string(), detail: z.string().nullable(), count });
export type ReasonCount = z.infer<typeof ReasonCountSchema>;

/** Rejected scans at one gate. */
export const GateCountSchema = z.object({ gateId: z.string(), gateName: z.string().nullable(), count });
export type GateCount = z.infer<typeof GateCountSchema>;

/** Rejected scans of one reason at one gate. */
export const GateReasonCountSchema = GateCountSchema.extend({ reason: z.string() });
export type GateReasonCount = z.infer<typeof GateReasonCountSchema>;

/** The run a report was made by, as the report records it. */
export const ReportRunSchema = z.object({
  id: z.uuid(),
  trigger: z.enum(['nightly', 'manual']),
  runKey: z.string(),
  requestedBy: z.string().nullable(),
  requestedAt: Instant,
  startedAt: Instant,
});

/** The event a report is about, as it was when the report was made. */
export const ReportEventSchema = z.object({
  id: z.uuid(),
  tenantId: z.string(),
  name: z.string(),
  status: z.enum(['draft', 'published', 'cancelled']),
  venueId: z.uuid(),
  venueName: z.string(),
  timezone: z.string(),
  doorsOpenAt: Instant.nullable(),
  startsAt: Instant,
  endsAt: Instant,
  /** Head of the manifest change log when the report was made. */
  changeSeq: count,
});

/** The counts of every finding kind (lists below may be cut at MAX_FINDINGS_PER_KIND). */
export const ReportSummarySchema = z.object({
  doubleAdmissions: count,
  revokedAdmissions: count,
  invalidTokenAttempts: count,
  sequenceGaps: count,
  missingScans: count,
  skewedDevices: count,
  quarantinedScans: count,
});

/** The event's tickets now: issued, still valid, revoked (by reason), and QRs replaced by transfers. */
export const TicketFiguresSchema = z.object({
  issued: count,
  valid: count,
  revoked: count,
  revokedByReason: z.array(z.object({ reason: z.string().nullable(), count })),
  /** QRs replaced by a transfer (the ticket stays valid with a new generation). */
  transfers: count,
});

/** Accepted scans of the event: who came, who did not, entries and exits. */
export const AdmissionFiguresSchema = z.object({
  /** Distinct tickets admitted at least once (gate uploads and online validations). */
  uniqueAdmissions: count,
  /** Valid tickets never admitted. */
  noShows: count,
  /** Accepted entries and exits (a ticket may re-enter after an exit). */
  entries: count,
  exits: count,
  /** Of the entries, those validated online rather than by a gate agent. */
  onlineEntries: count,
});

/** Codes that are not a ticket of this event: forged, damaged, unknown key, other events' tickets. */
export const InvalidTokenAttemptsSchema = z.object({
  total: count,
  byReason: z.array(ReasonCountSchema),
  byGate: z.array(GateCountSchema),
});

/** Every rejected scan, by reason (ALREADY_USED, REVOKED, WRONG_GATE, …) and by gate. */
export const RejectionsSchema = z.object({
  total: count,
  byReason: z.array(ReasonCountSchema),
  byGate: z.array(GateReasonCountSchema),
});

/**
 * One entry or exit taken back by an undo (issue 17): the record undone and the undo — made online at
 * the box office (`recordedBy`, the staff user) or at a gate's station (`deviceId`) — with the note.
 */
export const UndoneAdmissionSchema = z.object({
  ticketId: z.string().nullable(),
  serial: z.number().int(),
  undone: z.object({
    origin: z.string(),
    originSeq: z.number().int(),
    direction: z.enum(['in', 'out']),
    at: Instant,
    gateId: z.string(),
    gateName: z.string().nullable(),
  }),
  undo: z.object({
    origin: z.string(),
    originSeq: z.number().int(),
    at: Instant,
    /** The staff user of an online undo; null for a gate's. */
    recordedBy: z.string().nullable(),
    /** The device of a gate's undo; null for an online one. */
    deviceId: z.string().nullable(),
    deviceName: z.string().nullable(),
    note: z.string().nullable(),
  }),
});
export type UndoneAdmission = z.infer<typeof UndoneAdmissionSchema>;

/** One standing movement as an impossible-move finding names it. */
const MoveRecordSchema = z.object({
  ticketId: z.string().nullable(),
  serial: z.number().int(),
  origin: z.string(),
  originSeq: z.number().int(),
  at: Instant,
  gateId: z.string(),
  gateName: z.string().nullable(),
  /** The move the record made (a record without zones: outside ↔ the venue's first zone). */
  fromZone: z.string(),
  toZone: z.string(),
});
export type MoveRecord = z.infer<typeof MoveRecordSchema>;

/** A zone whose count exceeded its capacity, from `start` to `end` (null: still over at the last move). */
export const OverCapacitySchema = z.object({
  zoneId: z.string(),
  zoneName: z.string(),
  capacity: count,
  start: Instant,
  end: Instant.nullable(),
  /** end − start, or the report time − start while still over. */
  seconds: z.number(),
  /** The most holders in the zone during the interval. */
  peak: count,
});
export type OverCapacity = z.infer<typeof OverCapacitySchema>;

/**
 * Moves that should not have happened (issue 18), replaying the event's standing movements in the fold's
 * order: exits (or moves out of a zone) of a holder who was not inside; entries into a zone the holder's
 * ticket type may not enter (its zone list, or restricted zones, as configured at report time); and the
 * intervals a zone held more people than its capacity. Undone records are left out, as everywhere.
 */
export const ImpossibleMovesSchema = z.object({
  exitsWithoutEntry: z.array(MoveRecordSchema),
  entriesNotAllowed: z.array(
    MoveRecordSchema.extend({ typeNo: z.number().int().nullable(), zoneName: z.string().nullable() }),
  ),
  overCapacity: z.array(OverCapacitySchema),
  /** Counts of each kind (the lists stop at MAX_FINDINGS_PER_KIND). */
  totals: z.object({ exitsWithoutEntry: count, entriesNotAllowed: count, overCapacity: count }),
});
export type ImpossibleMoves = z.infer<typeof ImpossibleMovesSchema>;

export const ReconciliationReportSchema = z
  .object({
    version: z.number().int(),
    generatedAt: Instant,
    run: ReportRunSchema,
    event: ReportEventSchema,
    summary: ReportSummarySchema,
    tickets: TicketFiguresSchema,
    admissions: AdmissionFiguresSchema,
    doubleAdmissions: z.array(DoubleAdmissionSchema).meta({
      description:
        'One ticket admitted twice without an exit between, at two devices that could not see each other',
    }),
    doubleAdmissionsTruncated: z.boolean(),
    revokedAdmissions: z.array(RevokedAdmissionSchema).meta({
      description: 'Entries accepted after the cloud had revoked the ticket or replaced its QR',
    }),
    revokedAdmissionsTruncated: z.boolean(),
    invalidTokenAttempts: InvalidTokenAttemptsSchema,
    rejections: RejectionsSchema,
    devices: z.array(DeviceReconciliationSchema),
    // Absent from reports made before undo records existed (issue 17).
    undoneAdmissions: z.array(UndoneAdmissionSchema).optional().meta({
      description: 'Entries and exits taken back by an undo (online or at a gate), earliest undo first',
    }),
    // Absent from reports made before zones existed (issue 18).
    impossibleMoves: ImpossibleMovesSchema.optional().meta({
      description:
        'Exits without entry, entries into zones not allowed, zones over capacity and for how long',
    }),
  })
  .meta({ id: 'ReconciliationReport' });
export type ReconciliationReport = z.infer<typeof ReconciliationReportSchema>;

/** A run as the API shows it (without its report). */
export const ReconciliationRunSchema = z.object({
  id: z.uuid(),
  eventId: z.uuid(),
  trigger: z.enum(['nightly', 'manual']),
  runKey: z.string(),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  requestedBy: z.string().nullable(),
  requestedAt: Instant,
  startedAt: Instant.nullable(),
  finishedAt: Instant.nullable(),
  error: z.string().nullable(),
});
export type ReconciliationRunView = z.infer<typeof ReconciliationRunSchema>;
