/**
 * The lines a finished run adds to its log after the check, for a reader of a failing (or passing) run:
 * fair admissions of revoked tickets (the gate had not heard yet — what reconciliation reports), each
 * gate's scans and link outcomes, and the cloud's stderr when something was violated.
 */
import type { Violation } from './invariants';
import type { Stage } from './scenario';
import type { SimState } from './sim-state';

/** Each accept of a QR revoked before it was presented, with when the gate's manifest showed it. */
function logRevokedAdmissions(stage: Stage, log: (line: string) => void): void {
  const { t0, world } = stage;
  const rel = (t: number | undefined) => (t === undefined ? 'never' : `+${((t - t0) / 1000).toFixed(1)}s`);
  for (const answer of stage.answers) {
    if (answer.decision !== 'accept' || !answer.qr) continue;
    const { serial, generation } = answer.qr;
    const revoked = world.revocations.find(
      (r) => r.serial === serial && r.generation === generation && r.committedAt < answer.sentAt,
    );
    if (revoked)
      log(
        `admitted revoked serial ${serial}/g${generation} at gate ${answer.gate} ${rel(answer.sentAt)} (${answer.reason}): ` +
          `${revoked.how} at ${rel(revoked.committedAt)}, in that gate's manifest ${rel(revoked.knownAt[answer.gate])}` +
          `${revoked.lostAt === undefined ? '' : `, forgotten by the restore at ${rel(revoked.lostAt)}`}`,
      );
  }
}

/** Logs what a reader of the run needs beside its violations. */
export function logRunReport(
  stage: Stage,
  state: SimState,
  violations: readonly Violation[],
  log: (line: string) => void,
): void {
  logRevokedAdmissions(stage, log);
  for (const [name, gate] of stage.gates.entries())
    log(
      `gate ${name}: ${state.gates[name]!.scans.length} scans logged; link ${JSON.stringify(Object.fromEntries(gate.proxy.counts))}`,
    );
  const { cloud } = stage;
  if (violations.length > 0 && cloud.stderr().trim())
    log(`cloud stderr (tail):\n${cloud.stderr().slice(-3000)}`);
}
