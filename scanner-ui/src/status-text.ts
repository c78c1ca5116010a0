/**
 * Words for the always-visible status bar: manifest age, pending uploads, connection. Pure, so the
 * thresholds that turn a chip into a warning are tested without a browser.
 */
import type { AgentStatus } from './agent-api';

/** A manifest older than this is shown as a warning: revocations may be missing. */
export const STALE_MANIFEST_SECONDS = 300;

export type Tone = 'ok' | 'warn' | 'bad';

export interface StatusText {
  gateName: string;
  eventNames: string;
  connection: { text: string; tone: Tone };
  manifest: { text: string; tone: Tone };
  pending: { text: string; tone: Tone };
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

export function describeStatus(status: AgentStatus): StatusText {
  const ages = status.events
    .map((event) => event.manifestAgeSeconds)
    .filter((age): age is number => typeof age === 'number');
  const oldest = ages.length > 0 ? Math.max(...ages) : null;
  let manifest: StatusText['manifest'];
  if (status.events.length === 0) manifest = { text: 'no event loaded', tone: 'bad' };
  else if (oldest === null) manifest = { text: 'never synced', tone: 'bad' };
  else
    manifest = {
      text: `${durationText(oldest)} old`,
      tone: oldest > STALE_MANIFEST_SECONDS ? 'warn' : 'ok',
    };
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
    accepted: String(status.counters.accepted),
    rejected: String(status.counters.rejected),
  };
}
