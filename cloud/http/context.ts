/** The Hono environment of the cloud app: what middleware puts on the request context. */
import type { Logger } from 'pino';
import type { Actor } from '../services/actor';

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    /** Set by the authentication middleware on /api/v1 routes. */
    actor: Actor;
  };
}
