/**
 * The scan sequence the browser suites against a real gate agent check first: a ticket scanned with the
 * wedge paints ACCEPT, the same ticket again ALREADY USED, garbage INVALID — each waited for by the
 * page's own scan number (`data-seq`), never by a timer.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { typeLikeScanner } from './scanner-keys';
import { type ShownVerdict, verdictAfter } from './verdict-record';

/** Runs the sequence as the page's scans `firstSeq`, +1, +2; returns the ALREADY USED verdict. */
export async function expectAcceptUsedInvalid(
  page: Page,
  ticket: string,
  firstSeq = 1,
): Promise<ShownVerdict> {
  await typeLikeScanner(page, ticket);
  expect(await verdictAfter(page, firstSeq)).toMatchObject({ kind: 'accept', reason: 'OK' });
  await typeLikeScanner(page, ticket);
  const used = await verdictAfter(page, firstSeq + 1);
  expect(used).toMatchObject({ kind: 'reject', reason: 'ALREADY_USED' });
  await typeLikeScanner(page, 'GARBAGE-NOT-A-TICKET-1234');
  expect(await verdictAfter(page, firstSeq + 2)).toMatchObject({ kind: 'reject', reason: 'INVALID' });
  return used;
}
