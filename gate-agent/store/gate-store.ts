/**
 * The gate agent's store: every read and write of the local SQLite file goes through here. GateStore
 * opens the file and composes one module per concern over its one connection — device settings, keys,
 * the event contexts, the manifest copies, the scan log (the hot path, on prepared statements) and the
 * upload cursor — and owns the lifecycle (wipe, close). Callers keep one simple object; the sync side
 * reaches the parts it writes (`manifest`, `events`, `keys`, `device`) directly.
 *
 * Two rules shape the store:
 *  - a manifest page (tickets, event data, keys and the cursor) is applied in ONE transaction, so a crash
 *    leaves the store exactly at a page boundary (gate-agent/sync/manifest-apply.ts);
 *  - a scan and the admission record it makes are committed in ONE transaction (synchronous=FULL)
 *    before the agent answers, so an `accept` shown at the door is on disk (scan-log.ts).
 *
 * A ticket's admission state is folded from every admission record the gate holds — its own, its peers'
 * and the cloud's (admission-log.ts) — so ALREADY_USED answers for an entry at any door it has heard of.
 * The live occupancy of the venue's zones (zone-occupancy.ts) follows the same log in memory.
 */
import type Database from 'better-sqlite3';
import { lastAdmissionOf } from '../../shared/admission/history';
import type { KnownTicket, LastAdmission, ZoneId } from '../../shared/admission/index';
import { VENUE_ZONE } from '../../shared/admission/index';
import type { EventKey, TrustedSigningKey } from '../../shared/crypto/index';
import type { ScanRecord } from '../../shared/sync-protocol/index';
import { AdmissionLog } from './admission-log';
import { AdmissionUndo, type UndoOutcome, type UndoRequest } from './admission-undo';
import { StoreConnection } from './connection';
import { type GateDrizzle, openDatabase } from './database';
import { type KeyFileProtection, keyFileBeside } from './device-key-file';
import { type DeviceSettings, DeviceSettingsStore } from './device-settings';
import { type EventContext, EventContexts } from './event-context';
import { KeyStore, type SigningKeySource } from './keys';
import { type EventSyncState, ManifestCopy } from './manifest-copy';
import { PeerList } from './peer-list';
import { type DecisionCounters, ScanLog, type ScanToRecord } from './scan-log';
import { openStoreSecrets, type SecretBox } from './secret-box';
import { UploadCursor } from './upload-cursor';
import { ZoneOccupancy } from './zone-occupancy';

/** A ticket's admission state as the decision takes it (admissionOf). */
export interface HeldAdmission {
  /** The last admission, its time on this device's clock; undefined when never admitted. */
  last: LastAdmission | undefined;
  /** Where the holder is now (OUTSIDE when not inside). */
  zone: ZoneId;
  /** Every zone the holder has been in. */
  enteredZones: ZoneId[];
}

export interface OpenGateStoreOptions {
  migrationsFolder?: string;
  /** The key file that wraps the store's secrets (default: `device.key` beside the store). */
  keyFile?: string;
  /** Wraps the key file's content where the platform can (Electron: safeStorage). */
  keyProtection?: KeyFileProtection;
}

/**
 * Opens the store file at `path`, applying migrations; the folder and files made private, the key file
 * opened (or created) and any plain secret of an older store wrapped (secret-box.ts). See GateStore.
 */
export function openGateStore(path: string, options: OpenGateStoreOptions = {}): GateStore {
  const connection = new StoreConnection(openDatabase(path, options));
  try {
    const box = openStoreSecrets(
      connection.sqlite,
      options.keyFile ?? keyFileBeside(path),
      options.keyProtection,
    );
    return new GateStore(connection, box);
  } catch (error) {
    connection.close();
    throw error;
  }
}

export class GateStore {
  readonly connection: StoreConnection;
  readonly device: DeviceSettingsStore;
  readonly keys: KeyStore;
  readonly events: EventContexts;
  readonly manifest: ManifestCopy;
  readonly scanLog: ScanLog;
  readonly admissions: AdmissionLog;
  readonly peers: PeerList;
  readonly uploads: UploadCursor;
  readonly undos: AdmissionUndo;
  readonly occupancy: ZoneOccupancy;

  constructor(connection: StoreConnection, box: SecretBox) {
    this.connection = connection;
    this.device = new DeviceSettingsStore(connection, box);
    this.keys = new KeyStore(connection, box);
    this.events = new EventContexts(connection);
    this.manifest = new ManifestCopy(connection);
    this.admissions = new AdmissionLog(connection.sqlite);
    this.peers = new PeerList(connection);
    this.scanLog = new ScanLog(connection, this.admissions, () => this.device.settings.clockOffsetMs);
    this.uploads = new UploadCursor(connection);
    this.undos = new AdmissionUndo(connection, this.admissions, this.scanLog);
    this.occupancy = new ZoneOccupancy(
      connection.sqlite,
      this.admissions,
      (eventId) => this.events.eventContext(eventId)?.defaultZone ?? VENUE_ZONE,
    );
    connection.onRollback(() => this.occupancy.reset());
  }

  /** The raw connection (tests and benchmarks look at the file directly). */
  get sqlite(): Database.Database {
    return this.connection.sqlite;
  }

  get db(): GateDrizzle {
    return this.connection.db;
  }

  // Device identity and settings ------------------------------------------------------------------

  /** The stored settings (change them with updateSettings). */
  get settings(): Readonly<DeviceSettings> {
    return this.device.settings;
  }

  /** Writes the given settings durably and updates the in-memory copy. */
  updateSettings(patch: Partial<DeviceSettings>): void {
    this.device.update(patch);
  }

  /** Records a clock-offset measurement made outside a page (e.g. an upload acknowledgement). */
  setClockOffset(offset: number, measuredAt?: number): void {
    this.device.setClockOffset(Math.round(offset), measuredAt);
  }

  /** The events this gate serves (from enrollment and the cloud's stream). */
  servedEvents(): { eventId: string; name: string }[] {
    return this.device.servedEvents();
  }

  /** Adds (or renames) served events; an event is never dropped here, only by a wipe. */
  addServedEvents(events: readonly { id: string; name: string }[]): void {
    this.device.addServedEvents(events);
  }

  // Keys ------------------------------------------------------------------------------------------------

  /** Bumped whenever signing or event keys change, so a verifier is rebuilt only then. */
  get keysVersion(): number {
    return this.keys.version;
  }

  trustedSigningKeys(): TrustedSigningKey[] {
    return this.keys.trustedSigningKeys();
  }

  eventKeys(): EventKey[] {
    return this.keys.eventKeys();
  }

  /** Pins signing keys (from enrollment, or trust on first use); replaces the trusted set. */
  pinSigningKeys(keys: readonly TrustedSigningKey[], source: SigningKeySource): void {
    this.keys.pinSigningKeys(keys, source);
  }

  // Scan hot path ---------------------------------------------------------------------------------------

  /** The event and its rules, or undefined when this gate does not serve it (no installed copy). */
  eventContext(eventId: string): EventContext | undefined {
    return this.events.eventContext(eventId);
  }

  /**
   * The ticket in the live copy, with its digest, its holder-name box (null: no name) and its sealed holder
   * binding (null: not claimed in a wallet); undefined when the manifest does not know it.
   */
  findTicket(
    context: EventContext,
    serial: number,
  ): (KnownTicket & { digest: string; nameBox?: string | null; holderKey?: string | null }) | undefined {
    return this.manifest.findRow(context.event.id, context.liveCopy, serial);
  }

  /**
   * The ticket's state as the decision takes it, folded from every admission record held here, with its
   * time on THIS device's clock (records carry cloud-corrected time; the screen says "x min ago").
   */
  lastAdmission(eventId: string, serial: number): LastAdmission | undefined {
    return this.admissionOf(eventId, serial).last;
  }

  /**
   * The ticket's admission state as the decision takes it (one indexed lookup): its last admission (time
   * on this device's clock), the zone its holder is in and the zones they have been in. `defaultZone` is
   * where records without zones lead (the event's first zone; VENUE_ZONE at a venue without zones).
   */
  admissionOf(eventId: string, serial: number, defaultZone: ZoneId = VENUE_ZONE): HeldAdmission {
    const state = this.admissions.stateOf(eventId, serial, defaultZone);
    const last = lastAdmissionOf(state);
    return {
      last: last ? { ...last, at: last.at - this.device.settings.clockOffsetMs } : undefined,
      zone: state.zone,
      enteredZones: state.enteredZones,
    };
  }

  /** Holders inside `zone` of the event as this gate counts them now (zone-occupancy.ts; in memory). */
  zoneInside(eventId: string, zone: ZoneId): number {
    return this.occupancy.inside(eventId, zone);
  }

  /** Builds the live occupancy of every event held (at start: the first scan does not pay for it). */
  warmOccupancy(): void {
    for (const state of this.syncStates()) this.occupancy.warm(state.eventId);
  }

  /**
   * Records a scan and, on accept, the ticket's admission state, in one FULL-synchronous transaction.
   * Returns the scan's sequence number. Throws only when the disk refuses the write.
   */
  recordScan(scan: ScanToRecord): number {
    return this.scanLog.record(scan);
  }

  /**
   * Undoes one of this station's accepted scans when shared/admission's rule allows it (admission-undo.ts):
   * the undo record and its scan-log row in one FULL-synchronous transaction. Throws only on a disk error.
   */
  undoScan(scanSeq: number, now: number, confirmed: (eventId: string) => boolean = () => true): UndoOutcome {
    const settings = this.device.settings;
    const request: UndoRequest = {
      scanSeq,
      deviceId: settings.deviceId ?? 'unenrolled',
      gateId: settings.gateId ?? '',
      gateName: settings.gateName || null,
      now,
      clockOffsetMs: settings.clockOffsetMs,
      manifestSeq: (eventId) => this.events.eventContext(eventId)?.manifestSeq,
      confirmed,
    };
    return this.undos.undo(request);
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  inTransaction<T>(fn: () => T): T {
    return this.connection.transaction(fn);
  }

  /** Recounts accepted/rejected from the log (after a failed group commit rolled scans back). */
  reloadCounters(): void {
    this.scanLog.reloadCounters();
  }

  get counters(): DecisionCounters {
    return this.scanLog.counters;
  }

  // Manifest sync state ---------------------------------------------------------------------------------

  /** Every event the store has a live cursor for, with its sync state. */
  syncStates(): EventSyncState[] {
    return this.manifest.syncStates();
  }

  // Scan upload -----------------------------------------------------------------------------------------

  get ackedSeq(): number {
    return this.uploads.ackedSeq;
  }

  get lastScanSeq(): number {
    return this.uploads.lastScanSeq;
  }

  get pendingUploads(): number {
    return this.uploads.pendingUploads;
  }

  /** When the cloud last acknowledged an upload (device clock); null before the first. */
  get lastUploadAt(): number | null {
    return this.uploads.lastUploadAt;
  }

  /** The next scans to upload, in sequence order, from just after the acknowledged sequence. */
  scansToUpload(limit: number): ScanRecord[] {
    return this.uploads.scansToUpload(limit);
  }

  /** See UploadCursor.acknowledgeUploads: moves the cursor forward, or back when the cloud lost scans. */
  acknowledgeUploads(ackedSeq: number, now: number): number {
    return this.uploads.acknowledgeUploads(ackedSeq, now);
  }

  /** The last scan the cloud acknowledged, re-sent as a probe to learn whether the cloud still has it. */
  lastAcknowledgedScan(): ScanRecord | undefined {
    return this.uploads.lastAcknowledgedScan();
  }

  // Lifecycle -------------------------------------------------------------------------------------------

  /**
   * Erases every row — identity, keys, manifests, scan log — after the cloud revoked this device
   * (SPEC 4: "wipes its data"), then VACUUMs so the deleted pages leave the file.
   */
  wipe(): void {
    this.connection.eraseEverything(() => {
      this.device.ensureRow();
      this.uploads.ensureRow();
    });
    this.events.invalidate();
    this.keys.invalidate();
    this.admissions.reset();
    this.occupancy.reset();
    this.scanLog.reloadCounters();
    this.device.reload();
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  close(): void {
    this.connection.close();
  }
}
