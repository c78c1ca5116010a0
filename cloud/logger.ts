/**
 * The process logger: pino JSON lines. Authorization headers, tokens, payment tokens, QR payloads and key
 * material are redacted by path wherever they appear, so a careless log call cannot leak them.
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
