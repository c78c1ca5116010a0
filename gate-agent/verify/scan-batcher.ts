/**
 * Group commit for scans arriving together. Scans submitted in the same turn of the event loop (several
 * HTTP requests whose bodies arrived at once, several stations on one agent) are decided in order in
 * one transaction and made durable by one fsync; each caller's promise resolves only after that commit.
 * A lone scan waits one setImmediate (microseconds) and commits alone, exactly as pipeline.scan would.
 */
import type { ScanPipeline, ScanRequestItem, ScanResponse } from './pipeline';

export interface ScanBatcher {
  submit(code: unknown, direction?: unknown): Promise<ScanResponse>;
}

/** At most this many scans share one commit, bounding how long one commit can hold the event loop. */
const MAX_BATCH = 256;

export function createScanBatcher(pipeline: ScanPipeline): ScanBatcher {
  let queue: (ScanRequestItem & { resolve: (response: ScanResponse) => void })[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(batch.length);
    if (queue.length > 0) schedule();
    const responses =
      batch.length === 1 ? [pipeline.scan(batch[0]!.code, batch[0]!.direction)] : pipeline.scanMany(batch);
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(responses[i]!);
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    submit(code, direction) {
      return new Promise<ScanResponse>((resolve) => {
        queue.push({ code, direction, receivedAt: performance.now(), resolve });
        schedule();
      });
    },
  };
}
