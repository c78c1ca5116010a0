/**
 * Waits until every gate of a simulated venue has settled with the cloud: nothing pending upload, its
 * manifest at the cloud's head with the cloud's row count, and the cloud acknowledging its last scan.
 * Each round asks every gate to sync now; bounded by a deadline, and what still lags is logged.
 */
import { readGateState } from './collect';
import type { SimCloud } from './sim-cloud';
import type { SimGate } from './sim-gate';
import { sleep } from './sleep';

/** The cloud's side of settling: the event's head and row count, and each device's acknowledged seq. */
async function cloudHead(cloud: SimCloud, eventId: string) {
  const [event] = await cloud.query<{ change_seq: string }>('select change_seq from events where id = $1', [
    eventId,
  ]);
  const [count] = await cloud.query<{ n: number }>(
    'select count(*)::int as n from tickets where event_id = $1',
    [eventId],
  );
  const acked = new Map(
    (await cloud.query<{ id: string; acked_seq: string }>('select id, acked_seq from devices')).map((d) => [
      d.id,
      Number(d.acked_seq),
    ]),
  );
  return { head: Number(event?.change_seq ?? -1), tickets: count?.n, acked };
}

/** Asks `gate` to sync; undefined when it has settled, else how it lags. */
async function lagOf(
  gate: SimGate,
  eventId: string,
  cloud: Awaited<ReturnType<typeof cloudHead>>,
): Promise<string | undefined> {
  const { head, acked } = cloud;
  const status = await gate.syncNow();
  const manifest = status?.events.find((e) => e.id === eventId);
  let lastSeq = -1;
  try {
    lastSeq = readGateState(gate.storePath, gate.index, eventId).scans.at(-1)?.seq ?? 0;
  } catch {
    // the store is busy: not settled this round
  }
  const settled =
    status !== undefined &&
    status.pendingUploads === 0 &&
    manifest?.manifestSeq === head &&
    manifest.tickets === cloud.tickets &&
    acked.get(status.deviceId) === lastSeq;
  if (settled) return undefined;
  return `gate ${gate.index}: ${status ? `pending ${status.pendingUploads}, manifest ${manifest?.manifestSeq}/${head} (${manifest?.tickets}/${cloud.tickets} tickets), cloud acked ${acked.get(status.deviceId)}/${lastSeq}` : 'no status'}`;
}

/**
 * Asks every gate to sync until each has nothing pending, its manifest is at the cloud's head with the
 * cloud's row count, and the cloud acknowledged its last scan. Bounded by `timeoutMs`; false if not.
 */
export async function waitUntilSettled(
  cloud: SimCloud,
  eventId: string,
  gates: readonly SimGate[],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const head = await cloudHead(cloud, eventId);
    const lagging: string[] = [];
    await Promise.all(
      gates.map(async (gate) => {
        const lag = await lagOf(gate, eventId, head);
        if (lag !== undefined) lagging.push(lag);
      }),
    );
    if (lagging.length === 0) return true;
    last = lagging.join('; ');
    await sleep(500);
  }
  log(`still lagging at the deadline: ${last}`);
  return false;
}
