/**
 * The one error vocabulary of the cloud API. Every failure a client can see has a stable `code`; the
 * exhaustive map below is the only place that decides its HTTP status, so a new code cannot ship
 * without a status (the `satisfies` check fails to compile).
 */

/** Stable error codes, part of the public API contract (SPEC section 4). */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_HOLDER_KEY: 400,
  MALFORMED_JSON: 400,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  WEBHOOK_SIGNATURE_INVALID: 400,
  UNAUTHENTICATED: 401,
  DEVICE_REVOKED: 401,
  ENROLLMENT_TOKEN_INVALID: 401,
  PAYMENT_DECLINED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ADMISSION_NOT_FOUND: 404,
  RECONCILIATION_NOT_READY: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  HAS_TICKETS: 409,
  SOLD_OUT: 409,
  HOLD_LIMIT_REACHED: 409,
  EVENT_NOT_ON_SALE: 409,
  EVENT_CANCELLED: 409,
  EVENT_NOT_DRAFT: 409,
  CAPACITY_BELOW_SOLD: 409,
  ZONE_NAME_TAKEN: 409,
  PASSAGE_CONFLICT: 409,
  RESERVATION_NOT_ACTIVE: 409,
  ORDER_NOT_REFUNDABLE: 409,
  TICKET_NOT_TRANSFERABLE: 409,
  TICKET_NOT_EDITABLE: 409,
  TICKET_REVOKED: 409,
  MANIFEST_RESET: 409,
  ADMISSION_ALREADY_UNDONE: 409,
  UNDO_WINDOW_PASSED: 409,
  ADMISSION_NOT_LATEST: 409,
  RESERVATION_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  PAYMENT_UNAVAILABLE: 502,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/**
 * A failure with a code the client may see. `message` must be safe to show (no SQL, no internal
 * names); the underlying error, if any, travels in `cause` and is only logged.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  /** Seconds a client should wait before retrying (429, 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** A failed service outcome: an expected business result, returned as a value rather than thrown. */
export interface Failure<C extends ErrorCode = ErrorCode> {
  ok: false;
  code: C;
  message: string;
}

export type Result<T, C extends ErrorCode = ErrorCode> = ({ ok: true } & T) | Failure<C>;

/** Builds a failed outcome. */
export function fail<C extends ErrorCode>(code: C, message: string): Failure<C> {
  return { ok: false, code, message };
}

/** Turns a failed service outcome into the error the HTTP layer answers with. */
export function toAppError(failure: Failure): AppError {
  return new AppError(failure.code, failure.message);
}
