/**
 * Pulls one event's manifest until the gate's copy reaches the cloud's head: deltas into the live copy,
 * or — when there is no copy, the cloud answered 409 MANIFEST_RESET, or the totals did not match — a
 * fresh snapshot into a staging copy beside the live one, swapped in only once complete and verified.
 *
 * The transport is a parameter (HTTP in production, a fixture in tests). Every page is applied in its
 * own short transaction and the loop yields to the event loop between pages, so scans queued behind a
 * sync are answered between two pages.
 */
import { setImmediate as yieldToScans } from 'node:timers/promises';
import type { GateStore } from '../store/gate-store';
import { type ApplyVerdict, applySignedPage, type SignedPage } from './manifest-apply';

export interface PageRequest {
  eventId: string;
  /** Absent for a snapshot. */
  epoch?: string;
  after: number;
  limit: number;
}

/**
 * What the transport got: a signed page, or a 409 reset. `deviceTime` is the device clock when the cloud
 * most likely built the page (the request's midpoint): the clock offset is the page's cloudTime minus it.
 */
export type PageResponse = { kind: 'page'; page: SignedPage; deviceTime: number } | { kind: 'reset' };

export type FetchPage = (request: PageRequest) => Promise<PageResponse>;

export class ManifestSyncError extends Error {
  override readonly name = 'ManifestSyncError';
  constructor(
    readonly code: 'BAD_SIGNATURE' | 'BAD_PAGE' | 'TOO_MANY_RESETS' | 'NO_PROGRESS',
    message: string,
  ) {
    super(message);
  }
}

export interface PullOptions {
  store: GateStore;
  fetchPage: FetchPage;
  clock: () => number;
  /** Tickets per page requested; bounds each transaction (and so the longest pause of scanning). */
  pageLimit?: number;
  /** Test hook, see ApplyPageOptions.beforeCommit. */
  beforeCommit?: () => void;
  onPage?: (verdict: ApplyVerdict) => void;
}

export interface PullResult {
  pages: number;
  snapshots: number;
  swapped: boolean;
}

const MAX_RESETS_PER_PULL = 3;
const MAX_STALLS = 5;
/** 2,000 rows keep one page transaction (the longest pause a scan can see during sync) near 10–30 ms. */
export const DEFAULT_PAGE_LIMIT = 2000;

/** Brings one event up to the cloud's head. Throws ManifestSyncError on a page that fails its checks. */
export async function pullEvent(eventId: string, options: PullOptions): Promise<PullResult> {
  const { store } = options;
  const limit = options.pageLimit ?? DEFAULT_PAGE_LIMIT;
  const result: PullResult = { pages: 0, snapshots: 0, swapped: false };
  let resets = 0;
  let stalls = 0;
  const restart = (why: string) => {
    resets++;
    if (resets > MAX_RESETS_PER_PULL)
      throw new ManifestSyncError('TOO_MANY_RESETS', `manifest of ${eventId}: ${why}`);
  };
  for (;;) {
    const cursor = store.manifest.cursorOf(eventId);
    const staging = store.manifest.stagingOf(eventId);
    if (!staging && (!cursor || cursor.needsSnapshot)) {
      store.manifest.beginSnapshot(eventId, options.clock());
      result.snapshots++;
      continue;
    }
    const target = staging ? 'staging' : 'live';
    const request: PageRequest = staging
      ? { eventId, after: staging.after, limit, ...(staging.after > 0 ? { epoch: staging.epoch } : {}) }
      : { eventId, after: cursor!.after, limit, epoch: cursor!.epoch };
    const response = await options.fetchPage(request);
    if (response.kind === 'reset') {
      restart('the cloud reset the manifest');
      if (target === 'staging') store.manifest.beginSnapshot(eventId, options.clock());
      else store.manifest.markNeedsSnapshot(eventId);
      continue;
    }
    const verdict = applySignedPage(store, response.page, {
      target,
      eventId,
      now: options.clock(),
      deviceTime: response.deviceTime,
      ...(options.beforeCommit ? { beforeCommit: options.beforeCommit } : {}),
    });
    options.onPage?.(verdict);
    result.pages++;
    switch (verdict.kind) {
      case 'applied':
        if (verdict.swapped) result.swapped = true;
        if (!verdict.hasMore) return result;
        break;
      case 'mismatch':
        // Live: the store marked the copy; staging: the store dropped it. Either way: a new snapshot.
        restart(`checksum mismatch (${verdict.target})`);
        break;
      case 'needs-snapshot':
        restart('epoch changed');
        store.manifest.markNeedsSnapshot(eventId);
        break;
      case 'out-of-order':
        if (++stalls > MAX_STALLS)
          throw new ManifestSyncError('NO_PROGRESS', `pages of ${eventId} do not continue the cursor`);
        break;
      case 'bad-signature':
        throw new ManifestSyncError(
          'BAD_SIGNATURE',
          `a manifest page of ${eventId} is not signed by a trusted key`,
        );
      case 'bad-page':
        throw new ManifestSyncError('BAD_PAGE', `a manifest page of ${eventId} is invalid: ${verdict.why}`);
      case 'malformed':
        throw new ManifestSyncError('BAD_PAGE', `a manifest page of ${eventId} is malformed: ${verdict.why}`);
    }
    // Let scans waiting on the event loop run between two page transactions.
    await yieldToScans();
  }
}
