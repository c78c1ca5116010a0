/**
 * What a member of the crowd holds up to the scanner: a planned scan names a kind of code and a number
 * (`pick`), and this resolves it against the run's world at the moment it is presented — a current QR,
 * a code scanned before, a QR sold or revoked during the run, a ticket of the other event, a forged QR,
 * or garbage. Deterministic in the plan and the world, so a seed replays the same presentations.
 */
import type { CodeKind, PlannedScan } from './plan';
import { seededRandom } from './prng';
import type { SimWorld } from './world';

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** The parts of the world a presented code is taken from. */
export type CodeSource = Pick<SimWorld, 'tickets' | 'revocations' | 'otherTickets'>;

/** A code that is not a ticket at all, chosen by `pick`. */
export function garbageCode(pick: number, tickets: SimWorld['tickets']): string {
  const random = seededRandom(pick);
  switch (pick % 7) {
    case 0:
      return Array.from({ length: random.int(10, 180) }, () => random.pick([...BASE45])).join('');
    case 1:
      return '';
    case 2:
      return 'NOT A TICKET';
    case 3:
      return '{"serial":1,"eventId":"x"}';
    case 4: {
      const qr = tickets[pick % tickets.length]!.qr;
      return qr.slice(0, Math.floor(qr.length / 2));
    }
    case 5:
      return '🎟️ ✓ ünïcødé';
    default:
      return 'A'.repeat(5000);
  }
}

/** A valid QR with one character changed (never the same character). */
export function forgedCode(pick: number, tickets: SimWorld['tickets']): string {
  const qr = tickets[pick % tickets.length]!.qr;
  const position = 4 + (pick % Math.max(1, qr.length - 8));
  const index = BASE45.indexOf(qr[position]!);
  const replacement = BASE45[(Math.max(0, index) + 1 + (pick % (BASE45.length - 1))) % BASE45.length]!;
  return qr.slice(0, position) + replacement + qr.slice(position + 1);
}

/**
 * The code `scan` presents, and its kind: a repeat, revoked or late scan with nothing of its kind yet
 * presents a current QR instead (kind `valid`). `presented` holds the ticket QRs presented so far.
 */
export function presentedCode(
  scan: PlannedScan,
  world: CodeSource,
  presented: readonly string[],
): { code: string; kind: CodeKind } {
  const tickets = world.tickets;
  switch (scan.kind) {
    case 'repeat':
      if (presented.length > 0) return { code: presented[scan.pick % presented.length]!, kind: 'repeat' };
      break;
    case 'revoked': {
      const revoked = world.revocations;
      if (revoked.length > 0) return { code: revoked[scan.pick % revoked.length]!.qr, kind: 'revoked' };
      break;
    }
    case 'late': {
      const late = tickets.filter((t) => t.soldAt > 0);
      if (late.length > 0) return { code: late[scan.pick % late.length]!.qr, kind: 'late' };
      break;
    }
    case 'other-event':
      return { code: world.otherTickets[scan.pick % world.otherTickets.length]!.qr, kind: 'other-event' };
    case 'forged':
      return { code: forgedCode(scan.pick, tickets), kind: 'forged' };
    case 'garbage':
      return { code: garbageCode(scan.pick, tickets), kind: 'garbage' };
    case 'valid':
      break;
  }
  return { code: tickets[scan.pick % tickets.length]!.qr, kind: 'valid' };
}

/** Whether a presented code of `kind` is a ticket's QR that later scans may present again (a repeat). */
export const isTicketQr = (kind: CodeKind) => kind === 'valid' || kind === 'revoked' || kind === 'late';
