/**
 * What each planned fault does to the running venue: kill -9 a gate (restarted on its data directory
 * after a while), stop and start the cloud, back it up and restore it (the world forgets what the cloud
 * lost), break one gate's link or every link, sell tickets, refund or transfer. The lanes they run in
 * are fault-lanes.ts'.
 */
import type { FaultLane, FaultPlayer } from './fault-lanes';
import { describeFault, type PlannedFault } from './plan';
import type { Stage } from './scenario';
import { sleep } from './sleep';
import { forgetRevocationsAfter, forgetSalesAfter, revoke, sell } from './world';

type FaultOf<K extends PlannedFault['kind']> = Extract<PlannedFault, { kind: K }>;

/** The lane of a planned fault: the cloud's own, link faults when the cloud is up, the rest on time. */
export function laneOf(fault: PlannedFault): FaultLane {
  switch (fault.kind) {
    case 'cloud-restart':
    case 'cloud-backup':
    case 'cloud-restore':
    case 'revoke':
    case 'sell':
      return 'cloud';
    case 'link':
      return 'when-cloud-up';
    default:
      return 'on-time';
  }
}

async function killGate(stage: Stage, fault: FaultOf<'kill-gate'>): Promise<void> {
  const gate = stage.gates[fault.gate]!;
  await gate.restarted();
  await gate.stop('SIGKILL');
  gate.restarting = (async () => {
    await sleep(fault.downMs);
    await gate.start();
    stage.log(`gate ${gate.index} restarted on its data directory`);
  })();
  gate.restarting.catch((error) => {
    stage.stats.faultErrors++;
    stage.log(`gate ${gate.index} did not restart: ${String(error).slice(0, 500)}`);
  });
}

async function restartCloud(stage: Stage, fault: FaultOf<'cloud-restart'>): Promise<void> {
  await stage.cloud.stop(fault.signal);
  await sleep(fault.downMs);
  await stage.cloud.start();
  stage.log('cloud up again');
}

/** Restores the backup taken at `backupAt`; the world forgets the sales and revocations made since. */
async function restoreCloud(stage: Stage, backupAt: number): Promise<void> {
  const { world, stats } = stage;
  const restoredAt = Date.now();
  await stage.cloud.restore();
  const lost = forgetRevocationsAfter(world, backupAt, restoredAt);
  const lostSales = forgetSalesAfter(world, backupAt, restoredAt);
  stats.revocationsLost += lost.length;
  stats.salesLost += lostSales.length;
  if (lostSales.length > 0)
    stage.log(
      `restored; the cloud forgot ${lostSales.length} tickets sold after the backup (serials ${lostSales.map((t) => t.serial).join(', ')})`,
    );
  stage.log(
    `restored; the cloud forgot ${lost.length} revocations made after the backup (serials ${lost.map((r) => r.serial).join(', ') || '-'})`,
  );
}

async function sellTickets(stage: Stage, fault: FaultOf<'sell'>): Promise<void> {
  const { world } = stage;
  const sold = await sell(stage.cloud, world, fault.quantity);
  stage.stats.ticketsSold += sold.length;
  stage.log(`  sold serials ${sold.map((t) => t.serial).join(', ')}`);
  const reissued = sold.filter((t) =>
    world.tickets.some((o) => o.lostAt !== undefined && o.serial === t.serial),
  );
  if (reissued.length > 0)
    stage.log(
      `  serials ${reissued.map((t) => t.serial).join(', ')} reissued: a sale the restore lost held them`,
    );
}

async function revokeTickets(stage: Stage, fault: FaultOf<'revoke'>): Promise<void> {
  const made = await revoke(stage.cloud, stage.world, fault.how, fault.pick, stage.gates.length);
  stage.stats.revocations += made.length;
  stage.log(
    `  revoked serials ${made.map((r) => `${r.serial}/g${r.generation}`).join(', ') || '(none eligible)'}`,
  );
}

/** Plays the planned faults of one run on `stage` (the player keeps when the backup was taken). */
export function plannedFaultPlayer(stage: Stage): FaultPlayer<PlannedFault> {
  let backupAt: number | undefined;
  return {
    laneOf,
    describe: describeFault,
    async apply(fault) {
      switch (fault.kind) {
        case 'kill-gate':
          return killGate(stage, fault);
        case 'cloud-restart':
          return restartCloud(stage, fault);
        case 'cloud-backup':
          backupAt = Date.now();
          await stage.cloud.backup();
          stage.log('backup taken, cloud up again');
          return;
        case 'cloud-restore':
          if (backupAt === undefined) throw new Error('no backup to restore');
          return restoreCloud(stage, backupAt);
        case 'link':
          stage.gates[fault.gate]!.setLink(fault.mode, fault.durationMs);
          return;
        case 'venue-offline':
          for (const gate of stage.gates) gate.setLink('down', fault.durationMs);
          return;
        case 'sell':
          return sellTickets(stage, fault);
        case 'revoke':
          return revokeTickets(stage, fault);
      }
    },
  };
}
