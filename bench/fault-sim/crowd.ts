/**
 * The crowd of a simulated run: each planned scan presented at its gate at its time (at most 16 waiting
 * for an answer at once), and each answer recorded for the invariants (what the crowd was told) and
 * counted for the summary. An accept of a QR whose sale a restore made the cloud forget is logged.
 */
import type { CodeKind, PlannedScan } from './plan';
import { isTicketQr, presentedCode } from './presented-codes';
import { countAnswer } from './run-stats';
import type { Stage } from './scenario';
import { sleep } from './sleep';

const MAX_IN_FLIGHT = 16;

/** Logs an accept of a QR whose sale the restore made the cloud forget (not a violation: the holder paid). */
function noteLostSaleAccept(stage: Stage, code: string, gate: number, reason: string, sentAt: number): void {
  const { world } = stage;
  const lostAt = world.tickets.find((t) => t.qr === code && t.lostAt !== undefined)?.lostAt;
  if (lostAt === undefined || lostAt > sentAt) return;
  stage.stats.lostSaleAccepts++;
  const serial = world.qrs.get(code)?.serial;
  const reissued = world.tickets.some((t) => t.serial === serial && t.qr !== code && t.lostAt === undefined);
  stage.log(
    `QR of a sale the restore lost accepted: serial ${serial} at gate ${gate} (${reason})` +
      `${reissued ? '; the cloud has since sold this serial to someone else' : ''}`,
  );
}

/**
 * Presents `code` at the scan's gate and records the answer: counted as unanswered when the gate is
 * down or gave no verdict, else counted by kind and reason and added to `stage.answers`.
 */
export async function present(stage: Stage, scan: PlannedScan, code: string, kind: CodeKind): Promise<void> {
  const gate = stage.gates[scan.gate]!;
  const sentAt = Date.now();
  const answer = await gate.present(code, scan.direction);
  if (!answer || (answer.decision !== 'accept' && answer.decision !== 'reject')) {
    stage.stats.scansUnanswered++;
    return;
  }
  const reason = String(answer.reason);
  if (answer.decision === 'accept') noteLostSaleAccept(stage, code, scan.gate, reason, sentAt);
  countAnswer(stage.stats, kind, answer.decision, reason);
  stage.answers.push({
    gate: scan.gate,
    kind,
    qr: stage.world.qrs.get(code) ?? null,
    direction: scan.direction,
    sentAt,
    decision: answer.decision,
    reason,
    seq: typeof answer.seq === 'number' ? answer.seq : undefined,
    ticketSerial: (answer.ticket as { serial?: number } | undefined)?.serial,
  });
}

/** Presents every scan of `crowd` (sorted by time) at its time; resolves when every answer is in. */
export async function playCrowd(stage: Stage, crowd: readonly PlannedScan[]): Promise<void> {
  const presented: string[] = [];
  const inFlight = new Set<Promise<void>>();
  for (const scan of crowd) {
    await sleep(stage.t0 + scan.at - Date.now());
    const { code, kind } = presentedCode(scan, stage.world, presented);
    if (isTicketQr(kind)) presented.push(code);
    const pending: Promise<void> = present(stage, scan, code, kind).finally(() => inFlight.delete(pending));
    inFlight.add(pending);
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}
