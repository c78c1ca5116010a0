/**
 * The one allow-list of IPC channels between the scanner window and the main process. The preload
 * exposes exactly these as named functions; the main process registers handlers for exactly these and
 * checks the sender of every message (security.ts).
 */
export const IPC_CHANNELS = {
  scan: 'agent:scan',
  undo: 'agent:undo',
  status: 'agent:status',
  sync: 'agent:sync',
  enroll: 'setup:enroll',
} as const;

export type IpcChannel = (typeof IPC_CHANNELS)[keyof typeof IPC_CHANNELS];

export const ALLOWED_CHANNELS: ReadonlySet<string> = new Set(Object.values(IPC_CHANNELS));
