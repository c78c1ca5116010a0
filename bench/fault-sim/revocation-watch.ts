/**
 * While a run goes, which refunds and transfers each gate's live manifest already shows: every 400 ms
 * the driver reads each gate's store (read-only) for the revocations it has not seen there yet, and
 * records when it first sees each. The false-accept check judges accepts against these times.
 */
import { liveTicketStates } from './collect';
import type { SimGate } from './sim-gate';
import type { SimWorld } from './world';

const POLL_KNOWN_MS = 400;

/** One look at every gate's store: stamps `knownAt` of the revocations it shows now. */
function lookAtGates(gates: readonly SimGate[], world: SimWorld): void {
  for (const gate of gates) {
    const pending = world.revocations.filter(
      (r) => r.lostAt === undefined && r.knownAt[gate.index] === undefined,
    );
    if (pending.length === 0) continue;
    const states = liveTicketStates(gate.storePath, world.eventId, [
      ...new Set(pending.map((r) => r.serial)),
    ]);
    if (!states) continue;
    const now = Date.now();
    for (const r of pending) {
      const row = states.get(r.serial);
      if (row && (row.status === 'revoked' || row.generation > r.generation)) r.knownAt[gate.index] = now;
    }
  }
}

/** Starts watching; call the returned function to stop. */
export function watchRevocations(gates: readonly SimGate[], world: SimWorld): () => void {
  const poller = setInterval(() => lookAtGates(gates, world), POLL_KNOWN_MS);
  return () => clearInterval(poller);
}

/** How many (revocation, gate) pairs the driver saw in a gate's live manifest. */
export function revocationsKnown(world: SimWorld): number {
  return world.revocations.reduce((n, r) => n + r.knownAt.filter((t) => t !== undefined).length, 0);
}
