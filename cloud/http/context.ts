/** The Hono environment of the cloud app: what middleware puts on the request context. */
import type { Logger } from 'pino';
import type { Actor } from '../services/actor';
import type { DeviceRow } from '../services/devices';

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    /** Set by the authentication middleware on /api/v1 routes. */
    actor: Actor;
    /** Set by the device authentication middleware on the sync routes. */
    device: DeviceRow;
  };
}
