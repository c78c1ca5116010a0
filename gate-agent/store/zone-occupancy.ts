/**
 * Live occupancy at the gate (issue 18): per event, in memory, where each holder inside is (ticket →
 * zone) and how many are in each zone (zone → count). It is what this gate refuses ZONE_FULL with —
 * offline too, with the best count it has: every record the admission log holds, its own, its peers'
 * and the cloud's.
 *
 * Built from the log once per event (one pass over the event's records in ticket order, folding each
 * ticket's history with shared/admission's one fold) and then kept up to date by the log itself
 * (AdmissionObserver): a record of another origin re-folds its ticket's history (one indexed lookup) and
 * moves the ticket between counts; this gate's own entry or exit needs no lookup at all, because it is
 * decided after every record of the ticket the gate knows and so sorts last — the holder is where its
 * move put them. Reading a count is a map lookup; a zone list is O(zones).
 *
 * The counts equal shared `occupancyOf` over the log, whatever order records arrived in (the fold is
 * order-free). When a write fails part-way (its transaction rolls back), or the event's zones change
 * where records without zones lead (its first zone), the event's counts are dropped and built again.
 */
import type Database from 'better-sqlite3';
import type { AdmissionRecord } from '../../shared/admission/history';
import { admissionStateOf } from '../../shared/admission/history';
import { OUTSIDE, recordMove, type ZoneId } from '../../shared/admission/index';
import {
  type AdmissionLog,
  type AdmissionLogRow,
  type AdmissionObserver,
  RECORD_COLUMNS,
  recordOfRow,
} from './admission-log';

interface EventOccupancy {
  /** Where records without zones lead (the event's first zone when it was built). */
  defaultZone: ZoneId;
  /** Holders inside: ticket serial → the zone they are in. */
  zoneOf: Map<number, ZoneId>;
  /** Zone → holders inside it (zones with nobody in are absent). */
  inside: Map<ZoneId, number>;
}

export class ZoneOccupancy implements AdmissionObserver {
  readonly #log: AdmissionLog;
  readonly #defaultZone: (eventId: string) => ZoneId;
  readonly #all: Database.Statement<[string], AdmissionLogRow & { serial: number }>;
  readonly #events = new Map<string, EventOccupancy>();

  /** `defaultZone` reads the event's current default zone (the event context, in memory). */
  constructor(sqlite: Database.Database, log: AdmissionLog, defaultZone: (eventId: string) => ZoneId) {
    this.#log = log;
    this.#defaultZone = defaultZone;
    // The (event, serial) index gives the rows grouped by ticket.
    this.#all = sqlite.prepare(
      `SELECT serial, ${RECORD_COLUMNS} FROM admission_log WHERE event_id = ? ORDER BY serial`,
    );
    log.observe(this);
  }

  /** Holders in `zone` of the event now (0 for OUTSIDE and for a zone nobody is in). */
  inside(eventId: string, zone: ZoneId): number {
    return this.#of(eventId).inside.get(zone) ?? 0;
  }

  /** Every zone with somebody in it → its count (a copy; O(zones)). */
  counts(eventId: string): Map<ZoneId, number> {
    return new Map(this.#of(eventId).inside);
  }

  /** Builds the counts of an event now (at start, so the first scan does not pay for it). */
  warm(eventId: string): void {
    this.#of(eventId);
  }

  ownRecorded(eventId: string, serial: number, record: AdmissionRecord): void {
    const built = this.#events.get(eventId);
    if (!built) return; // built from the log when first read, this record included
    if (record.direction === 'undo') {
      this.#refold(built, eventId, serial);
      return;
    }
    this.#move(
      built,
      serial,
      recordMove(record as AdmissionRecord & { direction: 'in' | 'out' }, built.defaultZone).to,
    );
  }

  recordStored(eventId: string, serial: number): void {
    const built = this.#events.get(eventId);
    if (built) this.#refold(built, eventId, serial);
  }

  /** Drops every count; each event is built again from the log when next read. */
  reset(): void {
    this.#events.clear();
  }

  #of(eventId: string): EventOccupancy {
    const defaultZone = this.#defaultZone(eventId);
    const built = this.#events.get(eventId);
    if (built && built.defaultZone === defaultZone) return built;
    const fresh = this.#build(eventId, defaultZone);
    this.#events.set(eventId, fresh);
    return fresh;
  }

  #build(eventId: string, defaultZone: ZoneId): EventOccupancy {
    const occupancy: EventOccupancy = { defaultZone, zoneOf: new Map(), inside: new Map() };
    let serial: number | undefined;
    let history: AdmissionRecord[] = [];
    const fold = () => {
      if (serial !== undefined) this.#move(occupancy, serial, admissionStateOf(history, defaultZone).zone);
    };
    for (const row of this.#all.iterate(eventId)) {
      if (row.serial !== serial) {
        fold();
        serial = row.serial;
        history = [];
      }
      history.push(recordOfRow(row));
    }
    fold();
    return occupancy;
  }

  #refold(occupancy: EventOccupancy, eventId: string, serial: number): void {
    this.#move(occupancy, serial, this.#log.stateOf(eventId, serial, occupancy.defaultZone).zone);
  }

  /** Puts the ticket's holder in `zone` (OUTSIDE: nowhere), taking them out of where they were. */
  #move(occupancy: EventOccupancy, serial: number, zone: ZoneId): void {
    const was = occupancy.zoneOf.get(serial);
    if (was === zone) return;
    if (was !== undefined) {
      const left = (occupancy.inside.get(was) ?? 1) - 1;
      if (left > 0) occupancy.inside.set(was, left);
      else occupancy.inside.delete(was);
    }
    if (zone === OUTSIDE) {
      occupancy.zoneOf.delete(serial);
      return;
    }
    occupancy.zoneOf.set(serial, zone);
    occupancy.inside.set(zone, (occupancy.inside.get(zone) ?? 0) + 1);
  }
}
