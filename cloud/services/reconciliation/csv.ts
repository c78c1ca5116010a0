/**
 * The reconciliation report as one sectioned CSV (RFC 4180): a `# name` line, a header row and its rows
 * per section, then an empty line; lines end with CRLF. The columns are tables over the report schema's
 * sections (./report.ts), keyed by field: a field added to a section fails the type check here until it
 * is given its column (or `null`, left out of the CSV).
 */
import type {
  AdmissionScan,
  DeviceReconciliation,
  DoubleAdmission,
  GateCount,
  GateReasonCount,
  ImpossibleMoves,
  MoveRecord,
  OverCapacity,
  ReasonCount,
  ReconciliationReport,
  RevokedAdmission,
  SequenceGap,
  UndoneAdmission,
} from './report';

type Cell = string | number | boolean | null | undefined;

/** A CSV column: its header and how a row gives its value. */
type Column<Row> = readonly [header: string, value: (row: Row) => Cell];

/**
 * The columns of a section, one entry per field of its schema, in CSV order: a column, several (a nested
 * object spelled out), or null for a field the CSV leaves out.
 */
type ColumnTable<Row> = { [Field in keyof Row]-?: Column<Row> | readonly Column<Row>[] | null };

function columns<Row>(table: ColumnTable<Row>): Column<Row>[] {
  const entries: ReadonlyArray<Column<Row> | readonly Column<Row>[] | null> = Object.values(table);
  return entries.flatMap((entry) => (entry === null ? [] : isColumn(entry) ? [entry] : entry));
}

function isColumn<Row>(entry: Column<Row> | readonly Column<Row>[]): entry is Column<Row> {
  return typeof entry[0] === 'string';
}

/** Columns of a nested object, read through `select`, with `prefix` before each header. */
function within<Outer, Inner>(
  prefix: string,
  select: (outer: Outer) => Inner,
  inner: readonly Column<Inner>[],
): Column<Outer>[] {
  return inner.map(([header, value]) => [`${prefix}${header}`, (outer: Outer) => value(select(outer))]);
}

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

const scanColumns = columns<AdmissionScan>({
  source: ['source', (s) => s.source],
  scanId: null,
  deviceId: ['device_id', (s) => s.deviceId],
  deviceName: ['device_name', (s) => s.deviceName],
  seq: ['seq', (s) => s.seq],
  gateId: ['gate_id', (s) => s.gateId],
  gateName: ['gate_name', (s) => s.gateName],
  direction: null,
  at: ['at', (s) => s.at],
  deviceClockAt: ['device_clock_at', (s) => s.deviceClockAt],
  uploadedAt: ['uploaded_at', (s) => s.uploadedAt],
  uploadLagSeconds: ['upload_lag_s', (s) => s.uploadLagSeconds],
  // Shown once per double admission (its last column), not per scan.
  unconfirmed: null,
});

/** The `report` section: one `field,value` row per figure. */
const reportFields = columns<ReconciliationReport>({
  version: ['version', (r) => r.version],
  generatedAt: ['generated_at', (r) => r.generatedAt],
  run: within(
    '',
    (r) => r.run,
    columns<ReconciliationReport['run']>({
      id: ['run_id', (run) => run.id],
      trigger: ['trigger', (run) => run.trigger],
      runKey: ['run_key', (run) => run.runKey],
      requestedBy: ['requested_by', (run) => run.requestedBy],
      requestedAt: ['requested_at', (run) => run.requestedAt],
      startedAt: null,
    }),
  ),
  event: within(
    '',
    (r) => r.event,
    columns<ReconciliationReport['event']>({
      id: ['event_id', (e) => e.id],
      tenantId: null,
      name: ['event_name', (e) => e.name],
      status: ['event_status', (e) => e.status],
      venueId: null,
      venueName: ['venue_name', (e) => e.venueName],
      timezone: ['timezone', (e) => e.timezone],
      doorsOpenAt: ['doors_open_at', (e) => e.doorsOpenAt],
      startsAt: ['starts_at', (e) => e.startsAt],
      endsAt: ['ends_at', (e) => e.endsAt],
      changeSeq: ['manifest_change_seq', (e) => e.changeSeq],
    }),
  ),
  tickets: within(
    'tickets_',
    (r) => r.tickets,
    columns<ReconciliationReport['tickets']>({
      issued: ['issued', (t) => t.issued],
      valid: ['valid', (t) => t.valid],
      revoked: ['revoked', (t) => t.revoked],
      revokedByReason: null, // its own section
      transfers: ['transferred', (t) => t.transfers],
    }),
  ),
  admissions: within(
    '',
    (r) => r.admissions,
    columns<ReconciliationReport['admissions']>({
      uniqueAdmissions: ['unique_admissions', (a) => a.uniqueAdmissions],
      noShows: ['no_shows', (a) => a.noShows],
      entries: ['entries', (a) => a.entries],
      exits: ['exits', (a) => a.exits],
      onlineEntries: ['online_entries', (a) => a.onlineEntries],
    }),
  ),
  summary: within(
    '',
    (r) => r.summary,
    columns<ReconciliationReport['summary']>({
      doubleAdmissions: ['double_admissions', (s) => s.doubleAdmissions],
      revokedAdmissions: ['revoked_admissions', (s) => s.revokedAdmissions],
      invalidTokenAttempts: ['invalid_token_attempts', (s) => s.invalidTokenAttempts],
      sequenceGaps: ['sequence_gaps', (s) => s.sequenceGaps],
      missingScans: ['missing_scans', (s) => s.missingScans],
      skewedDevices: ['skewed_devices', (s) => s.skewedDevices],
      quarantinedScans: ['quarantined_scans', (s) => s.quarantinedScans],
    }),
  ),
  // The findings and per-device figures below are sections of their own.
  doubleAdmissions: null,
  doubleAdmissionsTruncated: null,
  revokedAdmissions: null,
  revokedAdmissionsTruncated: null,
  invalidTokenAttempts: null,
  rejections: null,
  devices: null,
  undoneAdmissions: null,
  impossibleMoves: null,
});

const revokedReasonColumns = columns<ReconciliationReport['tickets']['revokedByReason'][number]>({
  reason: ['reason', (r) => r.reason],
  count: ['count', (r) => r.count],
});

const doubleAdmissionColumns = columns<DoubleAdmission>({
  ticketId: ['ticket_id', (d) => d.ticketId],
  serial: ['serial', (d) => d.serial],
  secondsApart: ['seconds_apart', (d) => d.secondsApart],
  first: within('first_', (d) => d.first, scanColumns),
  second: within('second_', (d) => d.second, scanColumns),
  // Added after format version 1: the last column, so positional readers of older files still work.
  unconfirmed: ['unconfirmed', (d) => d.unconfirmed ?? null],
});

const revokedAdmissionColumns = columns<RevokedAdmission>({
  ticketId: ['ticket_id', (r) => r.ticketId],
  serial: ['serial', (r) => r.serial],
  generation: ['generation', (r) => r.generation],
  admission: within('admission_', (r) => r.admission, scanColumns),
  revocation: within(
    'revocation_',
    (r) => r.revocation,
    columns<RevokedAdmission['revocation']>({
      op: ['op', (v) => v.op],
      seq: ['seq', (v) => v.seq],
      at: ['at', (v) => v.at],
      reason: ['reason', (v) => v.reason],
    }),
  ),
  gateManifestSeq: ['gate_manifest_seq', (r) => r.gateManifestSeq],
  changesBehind: ['changes_behind', (r) => r.changesBehind],
  gateManifestAsOf: ['gate_manifest_as_of', (r) => r.gateManifestAsOf],
  secondsAfterRevocation: ['seconds_after_revocation', (r) => r.secondsAfterRevocation],
});

const undoneAdmissionColumns = columns<UndoneAdmission>({
  ticketId: ['ticket_id', (u) => u.ticketId],
  serial: ['serial', (u) => u.serial],
  undone: within(
    'undone_',
    (u) => u.undone,
    columns<UndoneAdmission['undone']>({
      origin: ['origin', (v) => v.origin],
      originSeq: ['origin_seq', (v) => v.originSeq],
      direction: ['direction', (v) => v.direction],
      at: ['at', (v) => v.at],
      gateId: ['gate_id', (v) => v.gateId],
      gateName: ['gate_name', (v) => v.gateName],
    }),
  ),
  undo: within(
    'undo_',
    (u) => u.undo,
    columns<UndoneAdmission['undo']>({
      origin: ['origin', (v) => v.origin],
      originSeq: ['origin_seq', (v) => v.originSeq],
      at: ['at', (v) => v.at],
      recordedBy: ['recorded_by', (v) => v.recordedBy],
      deviceId: ['device_id', (v) => v.deviceId],
      deviceName: ['device_name', (v) => v.deviceName],
      note: ['note', (v) => v.note],
    }),
  ),
});

const moveRecordColumns = columns<MoveRecord>({
  ticketId: ['ticket_id', (m) => m.ticketId],
  serial: ['serial', (m) => m.serial],
  origin: ['origin', (m) => m.origin],
  originSeq: ['origin_seq', (m) => m.originSeq],
  at: ['at', (m) => m.at],
  gateId: ['gate_id', (m) => m.gateId],
  gateName: ['gate_name', (m) => m.gateName],
  fromZone: ['from_zone', (m) => m.fromZone],
  toZone: ['to_zone', (m) => m.toZone],
});

type EntryNotAllowed = ImpossibleMoves['entriesNotAllowed'][number];
const entryNotAllowedColumns: Column<EntryNotAllowed>[] = [
  ...moveRecordColumns,
  ['type_no', (m) => m.typeNo],
  ['zone_name', (m) => m.zoneName],
];

const overCapacityColumns = columns<OverCapacity>({
  zoneId: ['zone_id', (o) => o.zoneId],
  zoneName: ['zone_name', (o) => o.zoneName],
  capacity: ['capacity', (o) => o.capacity],
  start: ['start', (o) => o.start],
  end: ['end', (o) => o.end],
  seconds: ['seconds', (o) => o.seconds],
  peak: ['peak', (o) => o.peak],
});

const reasonCountColumns = columns<ReasonCount>({
  reason: ['reason', (r) => r.reason],
  detail: ['detail', (r) => r.detail],
  count: ['count', (r) => r.count],
});

const gateCountColumns = columns<GateCount>({
  gateId: ['gate_id', (g) => g.gateId],
  gateName: ['gate_name', (g) => g.gateName],
  count: ['count', (g) => g.count],
});

const gateReasonCountColumns = columns<GateReasonCount>({
  gateId: ['gate_id', (g) => g.gateId],
  gateName: ['gate_name', (g) => g.gateName],
  reason: ['reason', (g) => g.reason],
  count: ['count', (g) => g.count],
});

const deviceColumns = columns<DeviceReconciliation>({
  deviceId: ['device_id', (d) => d.deviceId],
  name: ['name', (d) => d.name],
  gateId: ['gate_id', (d) => d.gateId],
  gateName: ['gate_name', (d) => d.gateName],
  status: ['status', (d) => d.status],
  scans: ['scans', (d) => d.scans],
  accepted: ['accepted', (d) => d.accepted],
  rejected: ['rejected', (d) => d.rejected],
  quarantined: ['quarantined', (d) => d.quarantined],
  firstScanAt: ['first_scan_at', (d) => d.firstScanAt],
  lastScanAt: ['last_scan_at', (d) => d.lastScanAt],
  ackedSeq: ['acked_seq', (d) => d.ackedSeq],
  highestSeq: ['highest_seq', (d) => d.highestSeq],
  gaps: ['gaps', (d) => d.gaps.length], // listed in the `sequence gaps` section
  missingScans: ['missing_scans', (d) => d.missingScans],
  lastUploadAt: ['last_upload_at', (d) => d.lastUploadAt],
  lastSeenAt: ['last_seen_at', (d) => d.lastSeenAt],
  clockOffsetMs: ['clock_offset_ms', (d) => d.clockOffsetMs],
  minClockOffsetMs: ['min_clock_offset_ms', (d) => d.minClockOffsetMs],
  maxClockOffsetMs: ['max_clock_offset_ms', (d) => d.maxClockOffsetMs],
  clockSkewed: ['clock_skewed', (d) => d.clockSkewed],
  maxUploadLagSeconds: ['max_upload_lag_s', (d) => d.maxUploadLagSeconds],
});

/** A gap with the device it belongs to (the `sequence gaps` section lists every device's). */
type DeviceGap = { device: DeviceReconciliation; gap: SequenceGap };

const deviceGapColumns: Column<DeviceGap>[] = [
  ['device_id', ({ device }) => device.deviceId],
  ['device_name', ({ device }) => device.name],
  ...within(
    '',
    ({ gap }: DeviceGap) => gap,
    columns<SequenceGap>({
      fromSeq: ['from_seq', (g) => g.fromSeq],
      toSeq: ['to_seq', (g) => g.toSeq],
      missing: ['missing', (g) => g.missing],
      after: ['after', (g) => g.after],
      before: ['before', (g) => g.before],
    }),
  ),
];

/** A section: its name, its header row and its rows for a report. */
interface Section {
  name: string;
  header: string[];
  rows(report: ReconciliationReport): Cell[][];
  /** False for a section a report made before it existed lacks (that report's CSV stays as it was). */
  present?(report: ReconciliationReport): boolean;
}

function section<Row>(
  name: string,
  sectionRows: (report: ReconciliationReport) => Row[],
  table: readonly Column<Row>[],
): Section {
  return {
    name,
    header: table.map(([header]) => header),
    rows: (report) => sectionRows(report).map((row) => table.map(([, value]) => value(row))),
  };
}

const SECTIONS: Section[] = [
  {
    name: 'report',
    header: ['field', 'value'],
    rows: (report) => reportFields.map(([field, value]) => [field, value(report)]),
  },
  section('revoked tickets by reason', (r) => r.tickets.revokedByReason, revokedReasonColumns),
  section('double admissions', (r) => r.doubleAdmissions, doubleAdmissionColumns),
  section('admissions of revoked tickets', (r) => r.revokedAdmissions, revokedAdmissionColumns),
  section('invalid token attempts by reason', (r) => r.invalidTokenAttempts.byReason, reasonCountColumns),
  section('invalid token attempts by gate', (r) => r.invalidTokenAttempts.byGate, gateCountColumns),
  section('rejections by reason', (r) => r.rejections.byReason, reasonCountColumns),
  section('rejections by gate', (r) => r.rejections.byGate, gateReasonCountColumns),
  section('devices', (r) => r.devices, deviceColumns),
  section(
    'sequence gaps',
    (r) => r.devices.flatMap((device) => device.gaps.map((gap) => ({ device, gap }))),
    deviceGapColumns,
  ),
  // Issue 17, last so the sections before it keep their places in older readers.
  {
    ...section('undone admissions', (r) => r.undoneAdmissions ?? [], undoneAdmissionColumns),
    present: (r) => r.undoneAdmissions !== undefined,
  },
  // Issue 18, after the sections older readers know.
  ...(
    [
      section(
        'impossible moves: exits without entry',
        (r) => r.impossibleMoves?.exitsWithoutEntry ?? [],
        moveRecordColumns,
      ),
      section(
        'impossible moves: entries into zones not allowed',
        (r) => r.impossibleMoves?.entriesNotAllowed ?? [],
        entryNotAllowedColumns,
      ),
      section(
        'impossible moves: zones over capacity',
        (r) => r.impossibleMoves?.overCapacity ?? [],
        overCapacityColumns,
      ),
    ] as Section[]
  ).map((s) => ({ ...s, present: (r: ReconciliationReport) => r.impossibleMoves !== undefined })),
];

const csvRow = (cells: Cell[]): string => cells.map(csvField).join(',');

/** The report as one sectioned CSV (see the module header). */
export function reportToCsv(report: ReconciliationReport): string {
  const sections = SECTIONS.filter((s) => s.present?.(report) ?? true);
  return sections
    .flatMap(({ name, header, rows }) => [
      csvRow([`# ${name}`]),
      csvRow(header),
      ...rows(report).map(csvRow),
      '',
    ])
    .join('\r\n');
}
