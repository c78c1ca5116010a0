/**
 * Transactions with a bounded retry on PostgreSQL's "try again" errors (deadlock detected 40P01,
 * serialization failure 40001). Lock order is designed to avoid deadlocks (the event row, which numbers
 * manifest changes, is always locked last); the retry covers the rare cycles that remain.
 */
import type { Database, Transaction } from './client';

const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 4;

/** The PostgreSQL SQLSTATE of an error, looking through drizzle's query-error wrapper. */
export function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Runs `work` in a transaction, retrying it from the start on deadlock or serialization failure. */
export async function inTransaction<T>(db: Database, work: (tx: Transaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      const state = sqlState(error);
      if (attempt >= MAX_ATTEMPTS || !state || !RETRYABLE.has(state)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10));
    }
  }
}

/**
 * Thrown inside a transaction to roll it back with an expected outcome; caught by `rollbackWith`.
 * Keeps "expected outcomes are values" true at the service boundary while still undoing the writes.
 */
export class Rollback<T> extends Error {
  override readonly name = 'Rollback';
  constructor(readonly outcome: T) {
    super('transaction rolled back with an expected outcome');
  }
}

/** Runs a transaction and turns a `Rollback` into its outcome value. */
export async function transactionOutcome<T, R>(
  db: Database,
  work: (tx: Transaction) => Promise<T>,
): Promise<T | R> {
  try {
    return await inTransaction(db, work);
  } catch (error) {
    if (error instanceof Rollback) return error.outcome as R;
    throw error;
  }
}
