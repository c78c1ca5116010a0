/**
 * Words for the always-visible status bar: manifest age, pending uploads, connection, LAN peers, and
 * what "Sync now" achieved. Pure, so the thresholds that turn a chip into a warning are tested without
 * a browser.
 */
import type { AgentStatus, ManifestThresholds, PeerStatus } from './agent-api';
import { clockTime } from './clock-time';

/**
 * When the ticket list turns amber and red if the agent does not say (an agent older than the
 * `manifestThresholds` status field): the agent's own defaults (gate-agent/agent.ts).
 */
export const DEFAULT_MANIFEST_THRESHOLDS: Readonly<ManifestThresholds> = Object.freeze({
  staleAfterMinutes: 10,
  veryStaleAfterMinutes: 30,
});

export type Tone = 'ok' | 'warn' | 'bad';

/** How old the ticket list is against the operator's thresholds (`data-age` on the chip). */
export type ManifestAge = 'fresh' | 'stale' | 'very-stale' | 'none';

export interface StatusText {
  gateName: string;
  eventNames: string;
  connection: { text: string; tone: Tone };
  manifest: { text: string; tone: Tone; age: ManifestAge };
  pending: { text: string; tone: Tone };
  /** The other gates' devices on the LAN, "reachable/listed"; null hides the chip (no peers configured). */
  peers: { text: string; tone: Tone; title: string } | null;
  accepted: string;
  rejected: string;
}

/** "12 s", "4 min", "3 h", "2 days". */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * "2/3" (reachable/listed): ok when every peer answers, warn when some do not, bad when none does —
 * the door then decides alone and its admissions stay unconfirmed until the gates hear each other.
 * Null (no chip) when the agent reports no peers, or something that is not a pair of counts.
 */
export function describePeers(peers: PeerStatus | null | undefined): StatusText['peers'] {
  if (typeof peers !== 'object' || peers === null) return null;
  const { listed } = peers;
  if (!isCount(listed) || !isCount(peers.reachable) || listed === 0) return null;
  const reachable = Math.min(peers.reachable, listed);
  const text = `${reachable}/${listed}`;
  // Peers are devices (another lane of this gate is one too): "scanners" is the steward's word for them.
  if (reachable === listed) {
    const who = listed === 1 ? 'The other scanner is' : `All ${listed} other scanners are`;
    return { text, tone: 'ok', title: `${who} answering: admissions are shared.` };
  }
  if (reachable > 0) {
    const title = `${reachable} of ${listed} other scanners are answering; the others catch up when they are back.`;
    return { text, tone: 'warn', title };
  }
  const who = listed === 1 ? 'The other scanner is not' : `None of the ${listed} other scanners is`;
  const title = `${who} answering: this door decides alone and its admissions are marked unconfirmed.`;
  return { text, tone: 'bad', title };
}

/** The agent's thresholds when they are sensible (whole minutes, red not before amber), else the defaults. */
export function manifestThresholds(status: AgentStatus): ManifestThresholds {
  const given = status.manifestThresholds;
  if (
    typeof given === 'object' &&
    given !== null &&
    Number.isFinite(given.staleAfterMinutes) &&
    Number.isFinite(given.veryStaleAfterMinutes) &&
    given.staleAfterMinutes > 0 &&
    given.veryStaleAfterMinutes >= given.staleAfterMinutes
  )
    return given;
  return DEFAULT_MANIFEST_THRESHOLDS;
}

/**
 * The ticket-list chip: its age in words, amber once it is `staleAfterMinutes` old and red from
 * `veryStaleAfterMinutes` — with words, not colour alone: the agent pulls every 30 s, so a list that old
 * means sync is failing, and tickets refunded or transferred since may still be admitted.
 */
export function describeManifest(status: AgentStatus): StatusText['manifest'] {
  if (status.events.length === 0) return { text: 'no event loaded', tone: 'bad', age: 'none' };
  const ages = status.events
    .map((event) => event.manifestAgeSeconds)
    .filter((age): age is number => typeof age === 'number');
  if (ages.length === 0) return { text: 'never synced', tone: 'bad', age: 'none' };
  const oldest = Math.max(...ages);
  const { staleAfterMinutes, veryStaleAfterMinutes } = manifestThresholds(status);
  const old = `${durationText(oldest)} old`;
  if (oldest >= veryStaleAfterMinutes * 60)
    return { text: `${old} — sync failing, call a supervisor`, tone: 'bad', age: 'very-stale' };
  if (oldest >= staleAfterMinutes * 60) return { text: `${old} — sync failing`, tone: 'warn', age: 'stale' };
  return { text: old, tone: 'ok', age: 'fresh' };
}

/**
 * What "Sync now" achieved, from the status the agent answered it with: offline, that scanning goes on
 * with the list it has and since when ("Cloud unreachable — still scanning offline with the list from
 * 18:02": the oldest list's last pull, the age the chip shows, on the page's clock `now`); online, that
 * the list is current.
 */
export function describeSyncResult(
  status: AgentStatus,
  now: number,
  timeZone?: string,
): { text: string; tone: Tone } {
  const clock = (at: number) => clockTime(at, timeZone ? { timeZone } : {});
  if (status.online) return { text: `Ticket list synced at ${clock(now)}`, tone: 'ok' };
  const ages = status.events
    .map((event) => event.manifestAgeSeconds)
    .filter((age): age is number => typeof age === 'number');
  if (ages.length === 0)
    return { text: 'Cloud unreachable — no ticket list on this scanner yet', tone: 'bad' };
  const listFrom = now - Math.max(...ages) * 1000;
  return {
    text: `Cloud unreachable — still scanning offline with the list from ${clock(listFrom)}`,
    tone: 'warn',
  };
}

export function describeStatus(status: AgentStatus): StatusText {
  const manifest = describeManifest(status);
  const pendingCount = status.pendingUploads;
  return {
    gateName: status.gate.name,
    eventNames: status.events.map((event) => event.name).join(' · ') || 'No event',
    connection: status.online ? { text: 'Online', tone: 'ok' } : { text: 'Offline', tone: 'bad' },
    manifest,
    pending: {
      text: pendingCount === 0 ? 'all sent' : `${pendingCount} waiting`,
      tone: pendingCount === 0 ? 'ok' : status.online ? 'ok' : 'warn',
    },
    peers: describePeers(status.peers),
    // The door's "admitted" count: entries only; exits are movements, not admissions.
    accepted: String(status.counters.admitted ?? status.counters.accepted),
    rejected: String(status.counters.rejected),
  };
}
