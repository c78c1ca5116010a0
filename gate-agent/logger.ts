/**
 * The gate agent's logger: pino JSON lines with the personal and secret fields a scan or a sync could
 * carry redacted by path — holder names and their boxes (issue 17: a scan's answer holds a name, and no
 * log line may), ticket codes and access tokens — so a careless log call cannot put them on the
 * station's disk. (Not `code`: error objects carry their errno there.)
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export const GATE_REDACT_PATHS = [
  'holderName',
  '*.holderName',
  'nameBox',
  '*.nameBox',
  'qr',
  '*.qr',
  'accessToken',
  '*.accessToken',
  'authorization',
  '*.authorization',
];

/** The agent's root logger (`destination` lets tests capture lines). */
export function createGateLogger(
  options: Pick<LoggerOptions, 'level'> = {},
  destination?: DestinationStream,
): Logger {
  const settings: LoggerOptions = {
    name: 'gate-agent',
    level: options.level ?? 'info',
    redact: { paths: GATE_REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(settings, destination) : pino(settings);
}
