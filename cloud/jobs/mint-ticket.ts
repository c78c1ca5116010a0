/**
 * The `mint-ticket` job (SPEC section 8): asks the external minting service to mint one ticket and
 * records the answer on the ticket. Queued per ticket after a purchase and after a transfer (see
 * cloud/services/minting/tickets.ts for the lifecycle), never awaited by the request that issued it.
 *
 * Two layers of retrying, on purpose: the client retries quickly within one attempt (1 s, 2 s, 4 s) to
 * ride out a blip; this job retries slowly across attempts (30 s doubling, capped at 15 min, 8 attempts
 * ≈ 45 min) to ride out an outage — an open circuit makes an attempt fail at once without calling out.
 * A 4xx is final: the ticket is marked 'failed' and the job is not retried.
 *
 * Idempotent: a ticket already minted is skipped, and an outcome is stored only for the generation it
 * was minted for, so a job that runs twice (redelivery, sweep) or races a transfer cannot overwrite a
 * newer state. Two copies running at the very same moment would both call the service, which is why the
 * service must be idempotent on (ticketId, generation) (client.ts).
 */
import type { Logger } from 'pino';
import type { MintingConfig } from '../config';
import type { ServiceContext } from '../services/context';
import { MintingServiceClient } from '../services/minting/client';
import { loadTicketToMint, markMintGivenUp, recordMintAttempt } from '../services/minting/tickets';
import { exponentialBackoff, type JobDefinition, PermanentJobError } from './definition';

/** Attempts of one mint job (each attempt is up to 4 HTTP calls inside the client). */
export const MINT_JOB_ATTEMPTS = 8;
/** First delay between job attempts; doubled each time, capped at 15 minutes. */
export const MINT_JOB_BACKOFF_BASE_MS = 30_000;
/** Mint jobs one process runs at once (each may wait up to 7 s between retries). */
export const MINT_JOB_CONCURRENCY = 4;

/** The service could not be reached or refused for now: the job should try again later. */
export class MintingUnavailableError extends Error {
  override readonly name = 'MintingUnavailableError';
  readonly code = 'MINTING_UNAVAILABLE';
}

/**
 * The `mint-ticket` job definition, keyed by its name like the other job factories (register it only
 * when MINTING_SERVICE_URL is set). `client` is the process's one MintingServiceClient: its breaker
 * must be shared by every mint job of the process. `attempts` and `backoffBaseMs` are for tests.
 */
export function createMintingJobs(
  ctx: Pick<ServiceContext, 'db' | 'clock' | 'business'>,
  client: Pick<MintingServiceClient, 'mintTicket'>,
  options: { attempts?: number; backoffBaseMs?: number } = {},
): { 'mint-ticket': JobDefinition<'mint-ticket'> } {
  const attempts = options.attempts ?? MINT_JOB_ATTEMPTS;
  const backoffBaseMs = options.backoffBaseMs ?? MINT_JOB_BACKOFF_BASE_MS;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError('mint-ticket: attempts must be ≥ 1');
  if (!Number.isInteger(backoffBaseMs) || backoffBaseMs < 1) {
    throw new RangeError('mint-ticket: backoffBaseMs must be a positive integer');
  }
  const definition: JobDefinition<'mint-ticket'> = {
    name: 'mint-ticket',
    attempts,
    backoffMs: exponentialBackoff(backoffBaseMs),
    concurrency: MINT_JOB_CONCURRENCY,

    async run(data) {
      const ticket = await loadTicketToMint(ctx, data.tenantId, data.ticketId);
      if (!ticket)
        throw new PermanentJobError(`ticket ${data.ticketId} not found in tenant ${data.tenantId}`);
      // Minted already (a redelivered or duplicate job), or minting was never asked for this ticket.
      if (ticket.mintStatus === 'minted' || ticket.mintStatus === null) return;
      const target = { tenantId: data.tenantId, ticketId: data.ticketId, generation: ticket.generation };
      if (ticket.status === 'revoked') {
        // Refunded or cancelled before it was minted: nobody holds it any more, so it is never minted.
        await markMintGivenUp(ctx, target, 'revoked before minting');
        return;
      }

      const result = await client.mintTicket(ticket.request);
      switch (result.outcome) {
        case 'minted':
          ctx.business.mint('minted');
          await recordMintAttempt(ctx, target, { kind: 'minted', ref: result.ref });
          return;
        case 'rejected':
          ctx.business.mint('rejected');
          await recordMintAttempt(ctx, target, { kind: 'failed', error: `rejected: ${result.message}` });
          throw new PermanentJobError(`minting service rejected ticket ${data.ticketId}: ${result.message}`);
        case 'unavailable':
          ctx.business.mint(result.reason === 'circuit_open' ? 'circuit_open' : 'failed');
          await recordMintAttempt(ctx, target, { kind: 'still-pending', error: result.message });
          throw new MintingUnavailableError(`minting service unavailable: ${result.message}`);
      }
    },

    async onGaveUp(data, error) {
      const reason = error instanceof Error ? error.message : String(error);
      await markMintGivenUp(ctx, data, `gave up: ${reason}`);
    },
  };
  return { 'mint-ticket': definition };
}

/**
 * What the job registry spreads in: the mint job with this process's one client (one breaker) when
 * MINTING_SERVICE_URL is set, nothing otherwise. Production delays: retries 1 s / 2 s / 4 s, circuit
 * open for 60 s, per-attempt timeout MINTING_TIMEOUT_MS.
 */
export function createConfiguredMintingJobs(
  ctx: Pick<ServiceContext, 'db' | 'clock' | 'business'>,
  minting: MintingConfig | undefined,
  logger?: Logger,
): { 'mint-ticket'?: JobDefinition<'mint-ticket'> } {
  if (!minting) return {};
  const client = new MintingServiceClient({
    url: minting.url,
    secret: minting.secret,
    timeoutMs: minting.timeoutMs,
    ...(logger ? { logger: logger.child({ component: 'minting' }) } : {}),
  });
  return createMintingJobs(ctx, client);
}
