/**
 * The readiness checks of the cloud's dependencies (database, Redis): each throws when its dependency is
 * not usable. One runner, bounded per check, serves both `/health/ready` (routes/health.ts) and the
 * `dependency_up` gauge (metrics/platform.ts), so the two can never disagree about what "up" means.
 */

/** Named checks; each resolves when its dependency answered and throws (or hangs) when it did not. */
export type ReadinessChecks = Record<string, () => Promise<void>>;

/** How long one check (or one scrape-time metrics source) may take before it counts as failed. */
export const CHECK_TIMEOUT_MS = 2_000;

/** Resolves `work` or rejects after `ms`; the timer never keeps the process alive. */
export async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What one check found: up, or down with the reason (for the log, never for the client). */
export type CheckOutcome = { name: string; up: true } | { name: string; up: false; error: unknown };

/** Runs every check at once, each under `CHECK_TIMEOUT_MS`; the outcomes come in the checks' order. */
export function runReadinessChecks(checks: ReadinessChecks): Promise<CheckOutcome[]> {
  return Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<CheckOutcome> => {
      try {
        await within(check(), CHECK_TIMEOUT_MS);
        return { name, up: true };
      } catch (error) {
        return { name, up: false, error };
      }
    }),
  );
}
