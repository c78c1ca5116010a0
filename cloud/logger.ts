/**
 * The process logger: pino JSON lines. Authorization headers, tokens, payment tokens, QR payloads, key
 * material and holder names are redacted by path wherever they appear, so a careless log call cannot
 * leak them.
 */
import { type Logger, pino } from 'pino';

export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'token',
  '*.token',
  'paymentToken',
  '*.paymentToken',
  'qr',
  '*.qr',
  'secret',
  '*.secret',
  'key',
  '*.key',
  'privateKey',
  '*.privateKey',
  'keyEncryptionKey',
  '*.keyEncryptionKey',
  'config.auth',
  'secretKey',
  '*.secretKey',
  'webhookSecret',
  '*.webhookSecret',
  'config.payments',
  // Holder names (issue 17) are personal data: never in a log line, wherever a body lands.
  'holderName',
  '*.holderName',
  'holderNames',
  '*.holderNames',
];

/** Creates the root logger. `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'cloud' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
