/**
 * The always-visible status bar: gate and event names, the connection, LAN peers, manifest and upload
 * chips, the day's counters, the zone strip (passage and occupancy, issue 18) and the offline banner, polled from the gate agent every 2 s (sooner after a scan or
 * "Sync now"), and what "Sync now" achieved, shown for a while beside it. The words come from
 * status-text.ts; this part only fetches and paints them.
 */
import type { EventStatus } from './agent-api';
import type { AgentClient, AgentStatus } from './agent-client';
import { describeClockTrust } from './clock-trust';
import { describeOccupancy } from './occupancy-text';
import { type OccupancyElements, paintOccupancy } from './occupancy-view';
import { type Scheduler, TaskSlot } from './scheduler';
import { describeStatus, describeSyncResult, manifestThresholds, type StatusText } from './status-text';
import { describeTimeZone, venueTimeZoneOf } from './venue-time';

export const STATUS_INTERVAL_MS = 2_000;
/** How long what "Sync now" achieved stays on screen. */
export const SYNC_RESULT_MS = 10_000;

const OFFLINE_TEXT = 'Offline: scanning goes on, scans upload when the connection returns.';
const UNREACHABLE_TEXT = 'The gate agent is not answering: scans cannot be checked. Call a supervisor.';

export interface StatusBarElements {
  gateName: HTMLElement;
  eventName: HTMLElement;
  connection: HTMLElement;
  peers: HTMLElement;
  manifest: HTMLElement;
  pending: HTMLElement;
  accepted: HTMLElement;
  rejected: HTMLElement;
  offlineBanner: HTMLElement;
  syncNow: HTMLButtonElement;
  /** What the last "Sync now" achieved (hidden until then). */
  syncResult: HTMLElement;
  /** The amber "device time" chip, shown while the venue's time zone is unknown (venue-time.ts). */
  timeZone?: HTMLElement;
  /** The amber "Clock unsure" chip, shown while the agent widens the rotating-code window (clock-trust.ts). */
  clock?: HTMLElement;
  /** The zone strip: passage, occupancy and its age (issue 18); hidden for agents without zones. */
  occupancy?: OccupancyElements;
}

/** Sets a chip's words and tone; leaves the text node alone when unchanged (no needless repaint). */
function setChip(chip: HTMLElement, text: string, tone: string): void {
  chip.dataset['tone'] = tone;
  const slot = chip.querySelector('.chip-text');
  if (slot && slot.textContent !== text) slot.textContent = text;
}

function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

export class StatusBar {
  private readonly pollSlot: TaskSlot;
  private readonly syncResultSlot: TaskSlot;
  private inFlight = false;
  private lastGateId: string | null = null;
  private lastTimeZone: string | undefined;
  private lastPassage: EventStatus['passage'] | undefined;

  constructor(
    private readonly elements: StatusBarElements,
    private readonly client: AgentClient,
    scheduler: Scheduler,
    private readonly document: Document,
  ) {
    this.pollSlot = new TaskSlot(scheduler);
    this.syncResultSlot = new TaskSlot(scheduler);
    elements.syncNow.addEventListener('click', () => void this.syncNow());
  }

  /** This gate's id from the last status the agent gave (null before the first, or when it has none). */
  get gateId(): string | null {
    return this.lastGateId;
  }

  /** The venue's time zone from the last status (undefined until known: times are then device time). */
  get venueTimeZone(): string | undefined {
    return this.lastTimeZone;
  }

  /** This gate's passage from the last status (issue 18); undefined from agents without zones. */
  get passage(): EventStatus['passage'] | undefined {
    return this.lastPassage;
  }

  /** Starts polling at once. */
  start(): void {
    this.refreshAfter(0);
  }

  /** Polls after `delayMs`, then every 2 s (replaces the poll waiting). */
  refreshAfter(delayMs: number): void {
    this.pollSlot.armAfter(delayMs, async () => {
      await this.refresh();
      this.refreshAfter(STATUS_INTERVAL_MS);
    });
  }

  private async refresh(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      this.paint(await this.client.status());
    } catch {
      this.paintUnreachable();
    } finally {
      this.inFlight = false;
    }
  }

  private paint(status: AgentStatus): void {
    const { elements } = this;
    const text = describeStatus(status);
    this.lastGateId = typeof status.gate.id === 'string' && status.gate.id !== '' ? status.gate.id : null;
    this.paintTimeZone(venueTimeZoneOf(status));
    this.paintNote(elements.clock, describeClockTrust(status.clock));
    setText(elements.gateName, text.gateName);
    setText(elements.eventName, text.eventNames);
    setChip(elements.connection, text.connection.text, text.connection.tone);
    elements.connection.dataset['online'] = text.connection.tone === 'ok' ? 'yes' : 'no';
    this.paintPeers(text.peers);
    setChip(elements.manifest, text.manifest.text, text.manifest.tone);
    elements.manifest.dataset['age'] = text.manifest.age;
    setChip(elements.pending, text.pending.text, text.pending.tone);
    elements.accepted.textContent = text.accepted;
    elements.rejected.textContent = text.rejected;
    elements.offlineBanner.textContent = OFFLINE_TEXT;
    elements.offlineBanner.hidden = text.connection.tone === 'ok';
    this.lastPassage = status.events.find((event) => event.passage)?.passage;
    if (elements.occupancy)
      paintOccupancy(elements.occupancy, describeOccupancy(status, Date.now(), manifestThresholds(status)));
    this.document.title = `${text.gateName} · ${text.connection.text}`;
  }

  /** The peers chip: hidden when this gate has no peers; the title says what the numbers mean. */
  private paintPeers(peers: StatusText['peers']): void {
    const chip = this.elements.peers;
    chip.hidden = peers === null;
    if (peers === null) return;
    setChip(chip, peers.text, peers.tone);
    if (chip.title !== peers.title) chip.title = peers.title;
  }

  /** Remembers the venue's zone; the chip says "device time" while it is unknown. */
  private paintTimeZone(zone: string | undefined): void {
    this.lastTimeZone = zone;
    this.paintNote(this.elements.timeZone, describeTimeZone(zone));
  }

  /** An amber note chip: hidden when there is nothing to say, else its words and its title. */
  private paintNote(
    chip: HTMLElement | undefined,
    note: { text: string; tone: string; title: string } | null,
  ): void {
    if (!chip) return;
    chip.hidden = note === null;
    if (note === null) return;
    setChip(chip, note.text, note.tone);
    if (chip.title !== note.title) chip.title = note.title;
  }

  private paintUnreachable(): void {
    const { elements } = this;
    setChip(elements.connection, 'Gate agent not reachable', 'bad');
    elements.connection.dataset['online'] = 'unknown';
    elements.offlineBanner.textContent = UNREACHABLE_TEXT;
    elements.offlineBanner.hidden = false;
  }

  private async syncNow(): Promise<void> {
    const button = this.elements.syncNow;
    button.disabled = true;
    button.textContent = 'Syncing…';
    try {
      const status = await this.client.sync();
      this.paint(status);
      this.showSyncResult(describeSyncResult(status, Date.now(), this.lastTimeZone));
    } catch {
      this.paintUnreachable();
      this.showSyncResult({ text: 'The gate agent is not answering: nothing was synced', tone: 'bad' });
    } finally {
      button.disabled = false;
      button.textContent = 'Sync now';
      this.refreshAfter(0);
    }
  }

  /** Says what "Sync now" achieved beside the button, for SYNC_RESULT_MS (a polite live region). */
  private showSyncResult(result: { text: string; tone: string }): void {
    const slot = this.elements.syncResult;
    slot.textContent = result.text;
    slot.dataset['tone'] = result.tone;
    slot.hidden = false;
    this.syncResultSlot.armAfter(SYNC_RESULT_MS, () => {
      slot.hidden = true;
    });
  }
}
