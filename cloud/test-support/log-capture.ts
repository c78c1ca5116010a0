/** A cloud logger whose lines tests can read (for "logged, but never answered" checks). */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../logger';

/** The production logger configuration (redaction included), writing into `lines`. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(
    level,
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { logger, lines };
}
