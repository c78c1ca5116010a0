/**
 * The client of the external minting service (SPEC section 8, the seeds' MintingServiceClient): one
 * `POST {MINTING_SERVICE_URL}/api/v1/mint/ticket` per ticket, made resilient with cockatiel as
 * `wrap(retry, circuitBreaker, timeout)`:
 *
 * - timeout (innermost): each HTTP attempt is aborted after `timeoutMs` (MINTING_TIMEOUT_MS); a timeout
 *   is a failure like a 5xx.
 * - circuit breaker: opens after 5 consecutive failed attempts (5xx, timeout, connection error, a 2xx
 *   without a usable answer) and refuses calls without touching the network until `halfOpenAfterMs`
 *   (60 s) has passed; then one trial call half-opens it and its outcome closes or re-opens it. One
 *   breaker per client, one client per process: every mint job of the process shares it.
 * - retry (outermost): 3 retries after base, 2 × base, 4 × base (1 s, 2 s, 4 s; no jitter, the seeds'
 *   schedule), so at most 4 attempts per call. A refused call (open circuit) is not retried.
 * - 4xx is the service's considered answer ("this ticket cannot be minted"): returned as `rejected`,
 *   never retried, and not a breaker failure (the service is up). 408 and 429 are 4xx too and are not
 *   retried here either, but they say "not now" rather than "never", so they come back as
 *   `unavailable` and the job tries again later.
 *
 * Expected outcomes are values (`MintResult`), never exceptions. The request body carries what the
 * service needs to describe the ticket and nothing that admits anyone: never the QR, the token digest
 * or any key. Headers: `Content-Type: application/json`, `X-Request-Id` (one per call, the same on its
 * retries, for tracing), and `X-Internal-Auth` (HMAC over a timestamp and the exact body bytes; the
 * scheme is in ./signature.ts). Each retry is signed afresh, so its timestamp is current.
 *
 * What the service answers: 2xx with JSON `{ "ref": "<its id for the minted ticket>" }`; it must be
 * idempotent on (ticketId, generation) — answering the same ref again — because a job can run twice
 * (a crash after the call, two processes, a sweep) and a transfer re-mints the same ticket with the
 * next generation for its new owner.
 */
import { randomUUID } from 'node:crypto';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  handleWhen,
  IterableBackoff,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import type { Logger } from 'pino';
import { INTERNAL_AUTH_HEADER, signInternalRequest } from './signature';

/** Consecutive failed attempts that open the circuit (SPEC section 8). */
export const MINTING_BREAKER_THRESHOLD = 5;
/** Retries after the first attempt (SPEC section 8). */
export const MINTING_RETRIES = 3;
/** Path of the mint call below MINTING_SERVICE_URL. */
export const MINT_TICKET_PATH = '/api/v1/mint/ticket';

const MAX_MESSAGE_CHARS = 500;
const MAX_REF_CHARS = 200;

/** What the minting service is told about one ticket. No QR, no digest, no key material. */
export interface MintTicketRequest {
  ticketId: string;
  tenantId: string;
  eventId: string;
  ticketTypeId: string;
  /** The ticket's generation: 1 at purchase, +1 per transfer. (ticketId, generation) is one mint. */
  generation: number;
  /** The holder's user id (the identity provider's subject). */
  owner: string;
  event: { name: string; startsAt: string };
  venue: { id: string; name: string; timezone: string };
  ticketType: { name: string; priceCents: number; currency: string };
}

/** How a mint call ended. Only programming errors throw. */
export type MintResult =
  | { outcome: 'minted'; ref: string }
  /** A 4xx other than 408/429: the service refuses this ticket; retrying will not help. */
  | { outcome: 'rejected'; status: number; message: string }
  /** Not minted now, may work later: the circuit is open, or every attempt failed (or was throttled). */
  | { outcome: 'unavailable'; reason: 'circuit_open' | 'failed'; message: string };

export type MintingCircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

export interface MintingClientOptions {
  /** MINTING_SERVICE_URL (http or https; a path prefix is kept). */
  url: string;
  /** INTERNAL_SERVICE_SECRET, at least 32 characters. */
  secret: string;
  /** Per-attempt timeout (MINTING_TIMEOUT_MS). */
  timeoutMs: number;
  /** First retry delay; the others are 2× and 4× it. Default 1000 (tests shorten it). */
  retryBaseMs?: number;
  /** How long the circuit stays open before a trial call. Default 60 000 (tests shorten it). */
  halfOpenAfterMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Clock for the signature timestamp, unix ms (default Date.now). */
  clock?: () => number;
  /** X-Request-Id values (default random UUIDs). */
  newRequestId?: () => string;
}

/** The service answered but the answer is a failure (5xx, or a 2xx without a usable ref). */
class MintingAttemptError extends Error {
  override readonly name = 'MintingAttemptError';
  readonly code = 'MINTING_ATTEMPT_FAILED';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

type AttemptValue = MintResult | { outcome: 'throttled'; status: number; message: string };

function positiveInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`MintingServiceClient: ${name} must be an integer between 1 and ${max}`);
  }
  return value;
}

/** A short, single-line message out of an error answer (JSON `{error:{message}}`, `{message}` or text). */
function answerMessage(status: number, text: string): string {
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown } | null;
    if (parsed && typeof parsed === 'object') {
      const candidate =
        typeof parsed.error === 'object' ? parsed.error?.message : (parsed.error ?? parsed.message);
      if (typeof candidate === 'string') message = candidate;
    }
  } catch {
    // not JSON: keep the text
  }
  const line = message.replace(/\s+/g, ' ').trim().slice(0, MAX_MESSAGE_CHARS);
  return line ? `HTTP ${status}: ${line}` : `HTTP ${status}`;
}

function describe(error: unknown, timeoutMs: number): string {
  // instanceof, not cockatiel's isTaskCancelledError: in 3.2.1 that helper tests the bulkhead flag.
  if (error instanceof TaskCancelledError) return `timed out after ${timeoutMs} ms`;
  if (error instanceof MintingAttemptError) return error.message;
  if (error instanceof Error) {
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const detail = typeof cause?.code === 'string' ? cause.code : cause?.message;
    return typeof detail === 'string' ? `${error.message} (${detail})` : error.message;
  }
  return String(error);
}

/**
 * Calls the minting service with retries, a circuit breaker and a timeout. Create one per process and
 * share it: the breaker protects the service only if every caller goes through the same one.
 */
export class MintingServiceClient {
  readonly #endpoint: string;
  readonly #secret: string;
  readonly #timeoutMs: number;
  readonly #clock: () => number;
  readonly #newRequestId: () => string;
  readonly #logger: Pick<Logger, 'warn' | 'info'> | undefined;
  readonly #breaker;
  readonly #policy;

  constructor(options: MintingClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new TypeError('MintingServiceClient: url must be an absolute http(s) URL');
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError('MintingServiceClient: url must be an absolute http(s) URL');
    }
    if (typeof options.secret !== 'string' || options.secret.length < 32) {
      throw new TypeError('MintingServiceClient: secret must be at least 32 characters');
    }
    this.#timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, 120_000);
    const retryBaseMs = positiveInteger('retryBaseMs', options.retryBaseMs ?? 1_000, 60_000);
    const halfOpenAfterMs = positiveInteger('halfOpenAfterMs', options.halfOpenAfterMs ?? 60_000, 3_600_000);
    this.#endpoint = `${base.origin}${base.pathname.replace(/\/+$/, '')}${MINT_TICKET_PATH}`;
    this.#secret = options.secret;
    this.#clock = options.clock ?? Date.now;
    this.#newRequestId = options.newRequestId ?? randomUUID;
    this.#logger = options.logger;

    // Everything the attempt throws is a failure of the service (4xx are values and pass through).
    this.#breaker = circuitBreaker(handleAll, {
      halfOpenAfter: halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(MINTING_BREAKER_THRESHOLD),
    });
    // An open circuit is an answer, not a fault: retrying it would only wait 7 s to be refused again.
    const retries = retry(
      handleWhen((error) => !(error instanceof BrokenCircuitError)),
      {
        maxAttempts: MINTING_RETRIES,
        backoff: new IterableBackoff([retryBaseMs, retryBaseMs * 2, retryBaseMs * 4]),
      },
    );
    // Aggressive: the attempt fails at the deadline even if the socket has not noticed the abort yet.
    this.#policy = wrap(retries, this.#breaker, timeout(this.#timeoutMs, TimeoutStrategy.Aggressive));

    this.#breaker.onBreak(() =>
      this.#logger?.warn({ minting: 'circuit_open', halfOpenAfterMs }, 'minting service circuit opened'),
    );
    this.#breaker.onReset(() =>
      this.#logger?.info({ minting: 'circuit_closed' }, 'minting service circuit closed'),
    );
  }

  /** The breaker's state now (for health output and tests). */
  get circuitState(): MintingCircuitState {
    switch (this.#breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.Open:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'isolated';
    }
  }

  /**
   * Asks the service to mint one ticket. Resolves with the outcome after at most 4 attempts and 7 ×
   * the retry base of waiting; `signal` (e.g. shutdown) stops further retries.
   */
  async mintTicket(request: MintTicketRequest, signal?: AbortSignal): Promise<MintResult> {
    const body = new TextEncoder().encode(JSON.stringify(request));
    const requestId = this.#newRequestId();
    try {
      const value = await this.#policy.execute(
        ({ signal: attemptSignal }) => this.#attempt(body, requestId, attemptSignal),
        signal,
      );
      if (value.outcome === 'throttled') {
        return { outcome: 'unavailable', reason: 'failed', message: value.message };
      }
      if (value.outcome === 'rejected') {
        this.#logger?.warn(
          { requestId, ticketId: request.ticketId, status: value.status },
          'minting service rejected a ticket',
        );
      }
      return value;
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        return { outcome: 'unavailable', reason: 'circuit_open', message: 'minting service circuit is open' };
      }
      const message = describe(error, this.#timeoutMs);
      this.#logger?.warn(
        { requestId, ticketId: request.ticketId, reason: message },
        'minting service unavailable after retries',
      );
      return { outcome: 'unavailable', reason: 'failed', message };
    }
  }

  async #attempt(
    body: Uint8Array<ArrayBuffer>,
    requestId: string,
    signal: AbortSignal,
  ): Promise<AttemptValue> {
    const unixSeconds = Math.floor(this.#clock() / 1000);
    const response = await fetch(this.#endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': requestId,
        [INTERNAL_AUTH_HEADER]: signInternalRequest(this.#secret, body, unixSeconds),
      },
      body,
      signal,
      // A redirect would resend the signed body somewhere we did not choose.
      redirect: 'error',
    });
    const text = await response.text();
    const { status } = response;
    if (status >= 200 && status < 300) {
      let ref: unknown;
      try {
        ref = (JSON.parse(text) as { ref?: unknown }).ref;
      } catch {
        ref = undefined;
      }
      if (typeof ref !== 'string' || ref.length === 0 || ref.length > MAX_REF_CHARS) {
        throw new MintingAttemptError(`HTTP ${status} without a usable ref`, status);
      }
      return { outcome: 'minted', ref };
    }
    if (status === 408 || status === 429) {
      return { outcome: 'throttled', status, message: answerMessage(status, text) };
    }
    if (status >= 400 && status < 500) {
      return { outcome: 'rejected', status, message: answerMessage(status, text) };
    }
    throw new MintingAttemptError(answerMessage(status, text), status);
  }
}
