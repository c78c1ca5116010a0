/**
 * The reconciliation report of an event (SPEC section 8): its shape as stored (reconciliation_reports.
 * report, JSON) and served, and its CSV rendering. The route documents the same shape with zod-openapi
 * (routes/reports.ts checks its schema against these types), so the two cannot drift apart silently.
 *
 * Times are ISO 8601 UTC. Gate scans are placed in time by the cloud's estimate (device clock + the
 * offset measured at the device's last sync), the same way attendance does.
 */

/** The report format; bumped when a field changes meaning. */
export const RECONCILIATION_REPORT_VERSION = 1;

/** A finding list longer than this is cut (the summary still counts every finding). */
export const MAX_FINDINGS_PER_KIND = 10_000;

/** A device whose clock differs from the cloud's by more than this is reported as skewed. */
export const CLOCK_SKEW_THRESHOLD_MS = 10_000;

/** One accepted scan as a finding names it: where, when, and how late the cloud learnt of it. */
export interface AdmissionScan {
  /** `device`: a gate agent's upload; `online`: POST /validate (decided against the cloud itself). */
  source: 'device' | 'online';
  scanId: string;
  deviceId: string | null;
  deviceName: string | null;
  /** The device's own sequence number of the scan (null for online scans). */
  seq: number | null;
  gateId: string;
  gateName: string | null;
  direction: 'in' | 'out';
  /** The cloud's estimate of when the scan happened. */
  at: string;
  /** The device's wall clock at the scan (null for online scans). */
  deviceClockAt: string | null;
  /** When the cloud received the upload (null for online scans: they are recorded as they happen). */
  uploadedAt: string | null;
  /** uploadedAt − at, seconds: how long the cloud could not know of this scan. */
  uploadLagSeconds: number | null;
}

/**
 * One ticket admitted twice without an exit between, at two devices that could not see each other.
 * Gates never learn other gates' admissions (only the cloud's manifest flows down), so any two
 * consecutive accepted entries of one ticket at different devices are such a pair.
 */
export interface DoubleAdmission {
  ticketId: string | null;
  serial: number;
  first: AdmissionScan;
  second: AdmissionScan;
  secondsApart: number;
}

/** An entry accepted after the cloud had revoked that ticket (refund, cancellation) or replaced its QR. */
export interface RevokedAdmission {
  ticketId: string | null;
  serial: number;
  /** The generation (QR version) that was admitted. */
  generation: number | null;
  admission: AdmissionScan;
  revocation: {
    /** `revoke`: refund, cancellation; `transfer`: the admitted QR had been replaced by a newer one. */
    op: 'revoke' | 'transfer';
    /** Its number in the event's manifest change log. */
    seq: number;
    at: string;
    reason: string | null;
  };
  /** The manifest change sequence the gate had applied when it decided. */
  gateManifestSeq: number | null;
  /** revocation.seq − gateManifestSeq: how many changes the gate was missing (> 0). */
  changesBehind: number | null;
  /** When the newest change the gate had applied was made in the cloud (null: it had none). */
  gateManifestAsOf: string | null;
  /** admission.at − revocation.at: how long the revocation had existed when the gate admitted. */
  secondsAfterRevocation: number;
}

export interface SequenceGap {
  /** First and last missing sequence numbers (inclusive). */
  fromSeq: number;
  toSeq: number;
  missing: number;
  /** When the scans on either side of the gap happened (null at the start of the log). */
  after: string | null;
  before: string | null;
}

/** One gate device that served the event or uploaded scans for it. */
export interface DeviceReconciliation {
  deviceId: string;
  name: string;
  gateId: string;
  gateName: string | null;
  status: 'active' | 'revoked';
  /** Scans of this event (and unreadable codes at this device during the event). */
  scans: number;
  accepted: number;
  rejected: number;
  /** Rows of this device the cloud could not read (kept in quarantine); device-wide. */
  quarantined: number;
  firstScanAt: string | null;
  lastScanAt: string | null;
  /** The longest gap-free prefix of the device's sequence the cloud holds. */
  ackedSeq: number;
  /** The highest sequence number received from the device. */
  highestSeq: number;
  /** Missing ranges between ackedSeq and highestSeq: scans the cloud never received. */
  gaps: SequenceGap[];
  missingScans: number;
  lastUploadAt: string | null;
  lastSeenAt: string | null;
  /** cloud − device clock (ms) reported with the device's latest upload. */
  clockOffsetMs: number | null;
  /** Extremes of the offsets carried by this event's scans. */
  minClockOffsetMs: number | null;
  maxClockOffsetMs: number | null;
  /** True when any offset above exceeds CLOCK_SKEW_THRESHOLD_MS in either direction. */
  clockSkewed: boolean;
  maxUploadLagSeconds: number | null;
}

export interface ReasonCount {
  reason: string;
  detail: string | null;
  count: number;
}

export interface GateCount {
  gateId: string;
  gateName: string | null;
  count: number;
}

export interface ReconciliationReport {
  version: number;
  generatedAt: string;
  run: {
    id: string;
    trigger: 'nightly' | 'manual';
    runKey: string;
    requestedBy: string | null;
    requestedAt: string;
    startedAt: string;
  };
  event: {
    id: string;
    tenantId: string;
    name: string;
    status: 'draft' | 'published' | 'cancelled';
    venueId: string;
    venueName: string;
    timezone: string;
    doorsOpenAt: string | null;
    startsAt: string;
    endsAt: string;
    /** Head of the manifest change log when the report was made. */
    changeSeq: number;
  };
  /** The counts of every finding kind (lists below may be cut at MAX_FINDINGS_PER_KIND). */
  summary: {
    doubleAdmissions: number;
    revokedAdmissions: number;
    invalidTokenAttempts: number;
    sequenceGaps: number;
    missingScans: number;
    skewedDevices: number;
    quarantinedScans: number;
  };
  tickets: {
    issued: number;
    valid: number;
    revoked: number;
    revokedByReason: Array<{ reason: string | null; count: number }>;
    /** QRs replaced by a transfer (the ticket stays valid with a new generation). */
    transfers: number;
  };
  admissions: {
    /** Distinct tickets admitted at least once (gate uploads and online validations). */
    uniqueAdmissions: number;
    /** Valid tickets never admitted. */
    noShows: number;
    /** Accepted entries and exits (a ticket may re-enter after an exit). */
    entries: number;
    exits: number;
    /** Of the entries, those validated online rather than by a gate agent. */
    onlineEntries: number;
  };
  doubleAdmissions: DoubleAdmission[];
  doubleAdmissionsTruncated: boolean;
  revokedAdmissions: RevokedAdmission[];
  revokedAdmissionsTruncated: boolean;
  /** Codes that are not a ticket of this event: forged, damaged, unknown key, other events' tickets. */
  invalidTokenAttempts: { total: number; byReason: ReasonCount[]; byGate: GateCount[] };
  /** Every rejected scan, by reason (ALREADY_USED, REVOKED, WRONG_GATE, …) and by gate. */
  rejections: {
    total: number;
    byReason: ReasonCount[];
    byGate: Array<GateCount & { reason: string }>;
  };
  devices: DeviceReconciliation[];
}

// ---------------------------------------------------------------------------------------------------
// CSV (RFC 4180): one file, one section per part of the report
// ---------------------------------------------------------------------------------------------------

type Cell = string | number | boolean | null | undefined;

/**
 * One CSV field. Quoted when it holds a separator, quote or line break (RFC 4180 section 2). Text that
 * a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe: gate and
 * device names are typed by people, and a report must not become an attack on whoever opens it.
 */
export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvRow(cells: Cell[]): string {
  return cells.map(csvField).join(',');
}

const scanColumns = (prefix: string) =>
  [
    'source',
    'device_id',
    'device_name',
    'seq',
    'gate_id',
    'gate_name',
    'at',
    'device_clock_at',
    'uploaded_at',
    'upload_lag_s',
  ].map((c) => `${prefix}_${c}`);

const scanCells = (scan: AdmissionScan): Cell[] => [
  scan.source,
  scan.deviceId,
  scan.deviceName,
  scan.seq,
  scan.gateId,
  scan.gateName,
  scan.at,
  scan.deviceClockAt,
  scan.uploadedAt,
  scan.uploadLagSeconds,
];

/**
 * The report as one sectioned CSV: each section is a `# name` line, a header row and its rows, followed
 * by an empty line. Lines end with CRLF (RFC 4180).
 */
export function reportToCsv(report: ReconciliationReport): string {
  const lines: string[] = [];
  const section = (name: string, header: string[], rows: Cell[][]) => {
    lines.push(csvRow([`# ${name}`]), csvRow(header), ...rows.map(csvRow), '');
  };
  const { event, run, tickets, admissions, summary } = report;
  section(
    'report',
    ['field', 'value'],
    [
      ['version', report.version],
      ['generated_at', report.generatedAt],
      ['run_id', run.id],
      ['trigger', run.trigger],
      ['run_key', run.runKey],
      ['requested_by', run.requestedBy],
      ['requested_at', run.requestedAt],
      ['event_id', event.id],
      ['event_name', event.name],
      ['event_status', event.status],
      ['venue_name', event.venueName],
      ['timezone', event.timezone],
      ['doors_open_at', event.doorsOpenAt],
      ['starts_at', event.startsAt],
      ['ends_at', event.endsAt],
      ['manifest_change_seq', event.changeSeq],
      ['tickets_issued', tickets.issued],
      ['tickets_valid', tickets.valid],
      ['tickets_revoked', tickets.revoked],
      ['tickets_transferred', tickets.transfers],
      ['unique_admissions', admissions.uniqueAdmissions],
      ['no_shows', admissions.noShows],
      ['entries', admissions.entries],
      ['exits', admissions.exits],
      ['online_entries', admissions.onlineEntries],
      ['double_admissions', summary.doubleAdmissions],
      ['revoked_admissions', summary.revokedAdmissions],
      ['invalid_token_attempts', summary.invalidTokenAttempts],
      ['sequence_gaps', summary.sequenceGaps],
      ['missing_scans', summary.missingScans],
      ['skewed_devices', summary.skewedDevices],
      ['quarantined_scans', summary.quarantinedScans],
    ],
  );
  section(
    'revoked tickets by reason',
    ['reason', 'count'],
    tickets.revokedByReason.map((r) => [r.reason, r.count]),
  );
  section(
    'double admissions',
    ['ticket_id', 'serial', 'seconds_apart', ...scanColumns('first'), ...scanColumns('second')],
    report.doubleAdmissions.map((d) => [
      d.ticketId,
      d.serial,
      d.secondsApart,
      ...scanCells(d.first),
      ...scanCells(d.second),
    ]),
  );
  section(
    'admissions of revoked tickets',
    [
      'ticket_id',
      'serial',
      'generation',
      ...scanColumns('admission'),
      'revocation_op',
      'revocation_seq',
      'revocation_at',
      'revocation_reason',
      'gate_manifest_seq',
      'changes_behind',
      'gate_manifest_as_of',
      'seconds_after_revocation',
    ],
    report.revokedAdmissions.map((r) => [
      r.ticketId,
      r.serial,
      r.generation,
      ...scanCells(r.admission),
      r.revocation.op,
      r.revocation.seq,
      r.revocation.at,
      r.revocation.reason,
      r.gateManifestSeq,
      r.changesBehind,
      r.gateManifestAsOf,
      r.secondsAfterRevocation,
    ]),
  );
  section(
    'invalid token attempts by reason',
    ['reason', 'detail', 'count'],
    report.invalidTokenAttempts.byReason.map((r) => [r.reason, r.detail, r.count]),
  );
  section(
    'invalid token attempts by gate',
    ['gate_id', 'gate_name', 'count'],
    report.invalidTokenAttempts.byGate.map((g) => [g.gateId, g.gateName, g.count]),
  );
  section(
    'rejections by reason',
    ['reason', 'detail', 'count'],
    report.rejections.byReason.map((r) => [r.reason, r.detail, r.count]),
  );
  section(
    'rejections by gate',
    ['gate_id', 'gate_name', 'reason', 'count'],
    report.rejections.byGate.map((g) => [g.gateId, g.gateName, g.reason, g.count]),
  );
  section(
    'devices',
    [
      'device_id',
      'name',
      'gate_id',
      'gate_name',
      'status',
      'scans',
      'accepted',
      'rejected',
      'quarantined',
      'first_scan_at',
      'last_scan_at',
      'acked_seq',
      'highest_seq',
      'gaps',
      'missing_scans',
      'last_upload_at',
      'last_seen_at',
      'clock_offset_ms',
      'min_clock_offset_ms',
      'max_clock_offset_ms',
      'clock_skewed',
      'max_upload_lag_s',
    ],
    report.devices.map((d) => [
      d.deviceId,
      d.name,
      d.gateId,
      d.gateName,
      d.status,
      d.scans,
      d.accepted,
      d.rejected,
      d.quarantined,
      d.firstScanAt,
      d.lastScanAt,
      d.ackedSeq,
      d.highestSeq,
      d.gaps.length,
      d.missingScans,
      d.lastUploadAt,
      d.lastSeenAt,
      d.clockOffsetMs,
      d.minClockOffsetMs,
      d.maxClockOffsetMs,
      d.clockSkewed,
      d.maxUploadLagSeconds,
    ]),
  );
  section(
    'sequence gaps',
    ['device_id', 'device_name', 'from_seq', 'to_seq', 'missing', 'after', 'before'],
    report.devices.flatMap((d) =>
      d.gaps.map((g) => [d.deviceId, d.name, g.fromSeq, g.toSeq, g.missing, g.after, g.before]),
    ),
  );
  return lines.join('\r\n');
}
