/**
 * The figures of one simulated run that the summary line prints: what the crowd was answered (by
 * reason and by kind of code), what the fault lanes did (faults applied and failed, revocations and
 * sales, and what the restore made the cloud forget), and how healing went.
 */

export interface RunStats {
  scansPlanned: number;
  scansAnswered: number;
  scansUnanswered: number;
  accepted: number;
  byReason: Record<string, number>;
  /** Per kind of code: answers by reason (e.g. revoked → {REVOKED: 9, OK: 2}). */
  byKind: Record<string, Record<string, number>>;
  faultsApplied: number;
  faultErrors: number;
  revocations: number;
  revocationsLost: number;
  ticketsSold: number;
  salesLost: number;
  /**
   * Accepts of QRs whose sale a restore made the cloud forget, after the restore (not counted as
   * violations: the holder paid and the QR is genuinely signed; reported so an operator sees them).
   */
  lostSaleAccepts: number;
  /** (revocation, gate) pairs where the driver saw the gate's live manifest show the revocation. */
  revocationsKnown: number;
  settled: boolean;
  settleMs: number;
}

/** Zero figures for a run of `scansPlanned` planned scans. */
export function newRunStats(scansPlanned: number): RunStats {
  return {
    scansPlanned,
    scansAnswered: 0,
    scansUnanswered: 0,
    accepted: 0,
    byReason: {},
    byKind: {},
    faultsApplied: 0,
    faultErrors: 0,
    revocations: 0,
    revocationsLost: 0,
    revocationsKnown: 0,
    ticketsSold: 0,
    salesLost: 0,
    lostSaleAccepts: 0,
    settled: false,
    settleMs: 0,
  };
}

/** Counts one answer given to the crowd. */
export function countAnswer(
  stats: RunStats,
  kind: string,
  decision: 'accept' | 'reject',
  reason: string,
): void {
  stats.scansAnswered++;
  if (decision === 'accept') stats.accepted++;
  stats.byReason[reason] = (stats.byReason[reason] ?? 0) + 1;
  const ofKind = stats.byKind[kind] ?? {};
  ofKind[reason] = (ofKind[reason] ?? 0) + 1;
  stats.byKind[kind] = ofKind;
}
