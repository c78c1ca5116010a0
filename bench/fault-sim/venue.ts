/**
 * The gates of a simulated venue around the run: opening (a faulty link and a gate agent per gate, one
 * gate's clock off, each enrolled with a one-time token and synced before the crowd arrives), healing
 * after the play (every link up, the cloud up, every gate up, then a bounded wait until all have
 * settled), and closing (gates killed, links closed, the cloud's databases dropped, data removed or kept).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startLinkProxy } from './link-proxy';
import type { FaultPlan } from './plan';
import { waitUntilSettled } from './settle';
import type { SimCloud } from './sim-cloud';
import { SimGate } from './sim-gate';
import type { SimWorld } from './world';

const ENROLL_TIMEOUT_MS = 60_000;

/**
 * Starts one link proxy and one gate agent per planned gate (in `gates`, so a failure part way still
 * lets the caller close what started), lets the scenario `prepare` them (before they start), enrolls
 * each, and waits until every gate has synced.
 */
export async function openGates(
  cloud: SimCloud,
  world: SimWorld,
  plan: FaultPlan,
  workDir: string,
  gates: SimGate[],
  log: (line: string) => void,
  prepare?: (gates: readonly SimGate[]) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < plan.gates; i++) {
    const proxy = await startLinkProxy(cloud.port);
    const dataDir = join(workDir, `gate-${i}`);
    gates.push(new SimGate(i, dataDir, proxy, i === plan.clockSkew.gate ? plan.clockSkew.offsetMs : 0));
  }
  await prepare?.(gates);
  await Promise.all(gates.map(async (gate) => gate.start(await world.enrollmentToken(gate.index))));
  if (!(await waitUntilSettled(cloud, world.eventId, gates, ENROLL_TIMEOUT_MS, log)))
    throw new Error('the gates did not enroll and sync within 60 s: the run cannot start');
  log('every gate enrolled and synced; the crowd arrives');
}

/** Every link up, the cloud up, every gate up; then waits (bounded) until every gate has settled. */
export async function healVenue(
  cloud: SimCloud,
  world: SimWorld,
  gates: readonly SimGate[],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<boolean> {
  for (const gate of gates) gate.setLink('up');
  if (!cloud.running) await cloud.start();
  for (const gate of gates) {
    await gate.restarted();
    if (!gate.child) await gate.start();
  }
  return waitUntilSettled(cloud, world.eventId, gates, timeoutMs, log);
}

/** Kills every gate, closes its link, disposes of the cloud; removes the gates' data unless `keepData`. */
export async function closeVenue(
  cloud: SimCloud,
  gates: readonly SimGate[],
  workDir: string,
  keepData: boolean | undefined,
  log: (line: string) => void,
): Promise<void> {
  for (const gate of gates) {
    await gate.restarted();
    await gate.stop('SIGKILL');
    await gate.proxy.close();
  }
  await cloud.dispose();
  if (keepData) log(`gate data kept in ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}
