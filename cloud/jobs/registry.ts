/**
 * Assembles the cloud's jobs: every definition, and the runner that executes them — BullMQ when
 * REDIS_URL is set, this process otherwise. Services see only the JobQueue door (`ctx.jobs`), bound here
 * after the runner exists (the definitions need the service context, the context needs the queue).
 */
import type { Logger } from 'pino';
import type { Config, MintingConfig } from '../config';
import type { ServiceContext } from '../services/context';
import type { EnqueueOptions, JobName, JobPayloads, JobQueue } from '../services/job-queue';
import { BullMqJobRunner } from './bullmq-runner';
import type { JobDefinitions } from './definition';
import { createExitAllJobs } from './exit-all';
import { createHoldJobs } from './holds';
import { InProcessJobRunner } from './in-process-runner';
import { createConfiguredMintingJobs } from './mint-ticket';
import { createReconciliationJobs } from './reconciliation';
import { createRefundJobs } from './refunds';
import type { JobRunner, NightlyVenue } from './runner';

/**
 * Every job definition of the cloud. `mint-ticket` exists only when MINTING_SERVICE_URL is set; its
 * client (and so its circuit breaker) is one per process.
 */
export function createJobDefinitions(
  ctx: ServiceContext,
  options: { minting?: MintingConfig | undefined; logger?: Logger } = {},
): JobDefinitions {
  return {
    ...createHoldJobs(ctx),
    ...createRefundJobs(ctx),
    ...createReconciliationJobs(ctx),
    ...createExitAllJobs(ctx),
    ...createConfiguredMintingJobs(ctx, options.minting, options.logger),
  };
}

export interface CreateJobRunnerOptions {
  config: Pick<Config, 'redisUrl' | 'jobsPrefix' | 'reconciliationLocalTime' | 'minting'>;
  services: ServiceContext;
  logger: Logger;
  /** Force the in-process runner even when REDIS_URL is set (tools). */
  inProcess?: boolean;
  /** Start BullMQ workers in this process (default true). */
  workers?: boolean;
}

/** Builds the runner for this process and binds it to `services.jobs` when that is a LateJobQueue. */
export function createJobRunner(options: CreateJobRunnerOptions): JobRunner {
  const { config, services } = options;
  const logger = options.logger.child({ component: 'jobs' });
  const definitions = createJobDefinitions(services, { minting: config.minting, logger });
  const runner: JobRunner =
    config.redisUrl && !options.inProcess
      ? new BullMqJobRunner({
          definitions,
          redisUrl: config.redisUrl,
          prefix: config.jobsPrefix,
          logger,
          business: services.business,
          reconciliationLocalTime: config.reconciliationLocalTime,
          ...(options.workers === false ? { workers: false } : {}),
        })
      : new InProcessJobRunner({
          definitions,
          logger,
          business: services.business,
          reconciliationLocalTime: config.reconciliationLocalTime,
          now: services.clock,
        });
  if (services.jobs instanceof LateJobQueue) services.jobs.bind(runner);
  return runner;
}

/** A JobQueue that forwards to a runner bound after construction. */
export class LateJobQueue implements JobQueue {
  #runner: JobRunner | undefined;

  bind(runner: JobRunner): void {
    this.#runner = runner;
  }

  #bound(): JobRunner {
    if (!this.#runner) throw new Error('job runner not started');
    return this.#runner;
  }

  enqueue<N extends JobName>(name: N, data: JobPayloads[N], options?: EnqueueOptions): Promise<void> {
    return this.#bound().enqueue(name, data, options);
  }

  enqueueMany<N extends JobName>(
    name: N,
    jobs: readonly { data: JobPayloads[N]; options?: EnqueueOptions }[],
  ): Promise<void> {
    return this.#bound().enqueueMany(name, jobs);
  }

  scheduleNightlyReconciliation(venue: NightlyVenue): Promise<void> {
    return this.#bound().scheduleNightlyReconciliation(venue);
  }
}
