/**
 * Plays a run's planned faults at their times, each in its lane: faults on the cloud (restarts, backup,
 * restore) and the refunds, transfers and sales that need it run one after another in their own lane (a
 * backup or restore takes seconds); link faults happen on time but wait (bounded) while the cloud is
 * down, since a broken link with nothing behind it tests nothing; the rest (gate kills) happen on time,
 * whatever the cloud does. What a fault does is the player's (fault-actions.ts for the planned faults).
 */
import type { Stage } from './scenario';
import { sleep } from './sleep';

export type FaultLane = 'cloud' | 'when-cloud-up' | 'on-time';

/** How a kind of planned fault is played: its lane, its log line, and what it does. */
export interface FaultPlayer<F extends { at: number }> {
  laneOf(fault: F): FaultLane;
  describe(fault: F): string;
  apply(fault: F): Promise<void>;
}

/**
 * Plays `faults` (sorted by time) from `stage.t0` on; resolves when every lane is done and no gate is
 * restarting. A fault that fails is logged and counted, and never leaves the cloud down.
 */
export async function playFaults<F extends { at: number }>(
  stage: Stage,
  faults: readonly F[],
  player: FaultPlayer<F>,
): Promise<void> {
  const { cloud, stats } = stage;
  const run = async (fault: F) => {
    stage.log(player.describe(fault));
    try {
      await player.apply(fault);
      stats.faultsApplied++;
    } catch (error) {
      stats.faultErrors++;
      stage.log(`  fault failed: ${String(error).slice(0, 500)}`);
      // A fault that failed half way must not leave the cloud down for the rest of the run.
      if (!cloud.running) await cloud.start().catch(() => undefined);
    }
  };
  let cloudLane: Promise<void> = Promise.resolve();
  const deferred: Promise<void>[] = [];
  const lastFault = faults.reduce((max, f) => Math.max(max, f.at), 0);
  const whenCloudUp = async () => {
    const deadline = stage.t0 + lastFault + 30_000;
    while (!cloud.running && Date.now() < deadline) await sleep(100);
  };
  for (const fault of faults) {
    await sleep(stage.t0 + fault.at - Date.now());
    switch (player.laneOf(fault)) {
      case 'cloud':
        cloudLane = cloudLane.then(() => run(fault));
        break;
      case 'when-cloud-up':
        deferred.push(whenCloudUp().then(() => run(fault)));
        break;
      case 'on-time':
        await run(fault);
    }
  }
  await cloudLane;
  await Promise.all(deferred);
  await Promise.all(stage.gates.map((gate) => gate.restarted()));
}
