/**
 * Runs one attempt of a job definition and classifies how it ended — the one place that decides retry
 * versus give-up, so the BullMQ and in-process runners cannot drift apart.
 */
import type { Logger } from 'pino';
import type { BusinessEvents } from '../services/context';
import type { JobName, JobPayloads } from '../services/job-queue';
import { type JobAttempt, type JobDefinition, PermanentJobError } from './definition';

export type AttemptOutcome =
  | { kind: 'completed' }
  | { kind: 'retry'; error: unknown }
  | { kind: 'gave-up'; error: unknown };

/**
 * Runs `definition.run` once. A PermanentJobError or the last allowed attempt gives up (and calls
 * onGaveUp once); any other error asks for a retry. Never throws.
 */
export async function runAttempt<N extends JobName>(
  definition: JobDefinition<N>,
  data: JobPayloads[N],
  attempt: JobAttempt,
  observers: { logger: Logger; business: Pick<BusinessEvents, 'job'> },
): Promise<AttemptOutcome> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    await definition.run(data, attempt);
    observers.business.job(definition.name, 'completed', seconds());
    return { kind: 'completed' };
  } catch (error) {
    const permanent = error instanceof PermanentJobError;
    const last = permanent || attempt.attempt >= attempt.attempts;
    observers.business.job(definition.name, last ? 'failed' : 'retrying', seconds());
    const log = { job: definition.name, jobId: attempt.jobId, attempt: attempt.attempt, err: error };
    if (!last) {
      observers.logger.warn(log, 'job attempt failed; will retry');
      return { kind: 'retry', error };
    }
    observers.logger.error(log, permanent ? 'job failed permanently' : 'job gave up after its last attempt');
    try {
      await definition.onGaveUp?.(data, error);
    } catch (recordError) {
      observers.logger.error({ job: definition.name, err: recordError }, 'recording a given-up job failed');
    }
    return { kind: 'gave-up', error };
  }
}
