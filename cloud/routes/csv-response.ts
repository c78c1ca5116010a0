/**
 * A CSV download as the organiser exports answer it: `text/csv; charset=utf-8`, an attachment with a
 * file name, and a body streamed chunk by chunk from an async source (an export is never held in memory
 * whole). A failure after the first byte can only cut the stream short: whatever can fail with a clear
 * answer (404, 400) is decided before this is called.
 */
import type { Context } from 'hono';
import { AppError } from '../errors';
import type { AppEnv } from '../http/context';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** The streamed CSV answer; `filename` is built from ids and dates only (no quoting needed). */
export function csvAttachment(c: Context<AppEnv>, filename: string, chunks: AsyncIterable<string>): Response {
  const encoder = new TextEncoder();
  const iterator = chunks[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  c.header('Cache-Control', 'private, no-store');
  return c.body(body, 200, {
    'Content-Type': CSV_CONTENT_TYPE,
    'Content-Disposition': `attachment; filename="${filename}"`,
  });
}

/** A CSV export takes the whole (filtered) list: a page size or cursor with it is a mistake, said so. */
export function refusePagingWithCsv(query: { format?: string | undefined; limit?: number; cursor?: string }) {
  if (query.format === 'csv' && (query.limit !== undefined || query.cursor !== undefined)) {
    throw new AppError(
      'VALIDATION_FAILED',
      'format=csv exports every matching row: leave out limit and cursor',
    );
  }
}
