/**
 * The gate agent's local API as the scanner UI sees it (SPEC section 7): the shapes of
 * `POST /api/scan`, `POST /api/undo`, `GET /api/status` and `POST /api/sync`, and of the Electron
 * preload bridge that carries the same four calls. Types only, no DOM and no Node: the Electron preload imports this file
 * and checks its bridge with `satisfies GateAgentBridge`.
 */

import type { ScanDirection, AdmissionReason as ScanReason } from '../../shared/admission/reasons';

// One list of reasons for the gate, the cloud and this screen (shared/admission/reasons.ts has no
// imports, so the DOM-only type-check of the renderer can include it).
export { ADMISSION_REASONS as SCAN_REASONS } from '../../shared/admission/reasons';
export type { ScanDirection, ScanReason };

export interface ScannedTicket {
  /** The event the ticket is for (absent from older agents). */
  eventId?: string;
  serial: number;
  typeNo: number;
  typeName?: string;
  generation: number;
}

export interface GateRef {
  id: string;
  name: string;
}

/** Answer of `POST /api/scan`. */
export interface ScanResult {
  decision: 'accept' | 'reject';
  reason: ScanReason;
  /** A stable machine word refining the reason (e.g. `superseded`, `doors-closed`). */
  detail?: string;
  ticket?: ScannedTicket;
  /** ALREADY_USED: when (unix ms) and at which gate the ticket went in. */
  alreadyUsed?: { at: number; gateId: string; gateName?: string | null };
  /**
   * WRONG_GATE: where the holder should go instead. Gates with names are shown; bare gate ids (what the
   * agent sends when it knows no names) are not, since a UUID tells a steward nothing.
   */
  allowedGates?: ReadonlyArray<GateRef | string>;
  /**
   * The ticket holder's name, which the agent opens from its manifest with the scanned code (issue 17);
   * null when the ticket has none; absent from older agents and when no ticket was identified.
   */
  holderName?: string | null;
  /**
   * The zone the scan moves the holder into (issue 18) with its count before the move, as the gate knows
   * it: on ZONE_FULL, ZONE_NOT_ALLOWED, a no-re-entry ALREADY_USED and accepts into a named zone.
   */
  zone?: { id: string; name: string; capacity: number | null; inside: number };
  /** Unix ms, the agent's clock. */
  scannedAt: number;
  /** The agent's own decision time. */
  latencyMs: number;
  /** The scan's number in the agent's log: what `POST /api/undo` names an accepted scan by. */
  seq?: number;
}

/** Answer of `POST /api/undo` (issue 17): the entry or exit taken back, and the undo record made. */
export interface UndoDone {
  undone: { origin: string; originSeq: number; direction: ScanDirection; at: number };
  undo: { origin: string; originSeq: number; at: number };
  ticket: { eventId: string; serial: number; generation: number | null };
  seq: number;
}

/** Why the agent would not undo (404 / 409 of `POST /api/undo`). */
export type UndoRefusalCode =
  | 'ADMISSION_NOT_FOUND'
  | 'ADMISSION_ALREADY_UNDONE'
  | 'UNDO_WINDOW_PASSED'
  | 'ADMISSION_NOT_LATEST';

export interface UndoRefused {
  refusal: UndoRefusalCode;
  message: string;
}

export type UndoAnswer = UndoDone | UndoRefused;

export interface EventStatus {
  id: string;
  name: string;
  manifestSeq: number;
  tickets: number;
  manifestAgeSeconds: number | null;
  /** The event venue's IANA time zone; null before the first pull, absent from older agents. */
  timeZone?: string | null;
  /**
   * Issue 18: this gate's passage for the event (`in` moves from → to; `out` back), each side a zone or
   * outside (`{id: 'outside', name: 'Outside'}`); absent from older agents.
   */
  passage?: { from: ZoneRef; to: ZoneRef };
  /** Occupancy of the venue's zones as this gate counts them (its own, its peers' and the cloud's records). */
  zones?: ZoneStatus[];
  /**
   * How old the count is: the moment (agent clock, unix ms) up to which this gate has heard every other
   * door — the older of its last manifest pull and the last word from its least recently heard peer —
   * null before the first pull. Moves made elsewhere after it may be missing from `zones`.
   */
  occupancyAsOf?: number | null;
}

export interface ZoneRef {
  /** A zone's id, `outside`, or `venue` (the one implicit zone of a venue without zones). */
  id: string;
  name: string;
}

export interface ZoneStatus extends ZoneRef {
  inside: number;
  /** null = no limit. */
  capacity: number | null;
}

/** Answer of `GET /api/status` and `POST /api/sync`. */
export interface AgentStatus {
  deviceId: string;
  gate: GateRef;
  /** Whether the cloud answered the agent's last attempt. */
  online: boolean;
  lastSyncAt: number | null;
  pendingUploads: number;
  /** `admitted`: accepted entries (an exit is not an admission); absent from agents before exits were split out. */
  counters: { accepted: number; admitted?: number; exited?: number; rejected: number };
  events: EventStatus[];
  /**
   * Gate-to-gate replication on the venue LAN: the other gates' devices this one knows of, and how many
   * it has heard from lately. Null or absent when this gate has no peers configured.
   */
  peers?: PeerStatus | null;
  /** When the ticket list is shown stale (amber) and very stale (red); absent from older agents. */
  manifestThresholds?: ManifestThresholds;
  /**
   * The venue's IANA time zone, which every time on the scanner is shown in (venue-time.ts); null before
   * the first pull, absent from older agents: the scanner then shows device time and says so.
   */
  venueTimeZone?: string | null;
  /**
   * How far the agent trusts its clock for rotating codes (issue 20); absent from older agents. Not `ok`:
   * the scanner shows an amber chip, codes are accepted within ± `holderCodeWindowSeconds`.
   */
  clock?: ClockStatus;
}

export interface ClockStatus {
  /** cloud − device, ms; null when never measured. */
  offsetMs: number | null;
  state: 'ok' | 'unknown' | 'large';
  holderCodeWindowSeconds: number;
}

/** Minutes since the last successful pull (the agent's `staleAfterMinutes` / `veryStaleAfterMinutes`). */
export interface ManifestThresholds {
  staleAfterMinutes: number;
  veryStaleAfterMinutes: number;
}

export interface PeerStatus {
  listed: number;
  reachable: number;
}

/** What the Electron preload exposes as `window.gateAgent` (contextBridge). */
export interface GateAgentBridge {
  scan(code: string, direction: ScanDirection): Promise<ScanResult>;
  undo(seq: number): Promise<UndoAnswer>;
  status(): Promise<AgentStatus>;
  sync(): Promise<AgentStatus>;
}
