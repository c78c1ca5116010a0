/**
 * `POST /tickets/{id}/holder-key` under /api/v1 (issue 20, CONTRACT §5.6): the ticket's holder binds the
 * public key of their wallet device, which signs the holder-bound rotating code.
 */
import { createRoute } from '@hono/zod-openapi';
import { okResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { HolderKeyAlg, idParams, Timestamp, z } from '../http/schemas';
import { bindHolderKey } from '../services/holder-keys';

const HolderKeyRequest = z
  .strictObject({
    alg: HolderKeyAlg,
    publicKey: z
      .string()
      .min(1)
      .max(200)
      .openapi({
        description:
          'base64url (no padding) of the raw public key: 32 bytes for Ed25519, the 65-byte uncompressed ' +
          'point for ES256',
      }),
  })
  .openapi('HolderKeyRequest');

const HolderKeyBinding = z
  .object({
    ticketId: z.uuid(),
    eventId: z.uuid(),
    serial: z.number().int(),
    generation: z.number().int(),
    bindingNo: z
      .number()
      .int()
      .openapi({ description: 'Which binding of the ticket this is; a code carries it' }),
    alg: HolderKeyAlg,
    boundAt: Timestamp,
    stepSeconds: z.literal(15).openapi({ description: 'A code’s time step' }),
    cloudTime: z.number().int().openapi({ description: 'The cloud’s clock (unix ms): steps count by it' }),
  })
  .openapi('HolderKeyBinding');

/** Routes under /api/v1 for holder keys. */
export function holderKeyRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const holder = bearerAccess(['tickets'], ['customer'], limits.read);
  return createRouter().openapi(
    createRoute({
      method: 'post',
      path: '/tickets/{id}/holder-key',
      summary: 'Bind the holder’s wallet device to the ticket (its rotating code’s key)',
      description:
        'The wallet’s public key for the holder-bound rotating code. Binding again (a new phone) replaces ' +
        'the key and increments `bindingNo`: the old device’s codes are refused from then on. The binding ' +
        'reaches the gates as a ticket change, sealed with the event key. 400 `INVALID_HOLDER_KEY` when ' +
        '`publicKey` is not a key of `alg` (nothing changes); 404 for a ticket that is not the caller’s; ' +
        '409 `TICKET_REVOKED` for a refunded or cancelled ticket.',
      ...holder,
      request: {
        params: idParams('id'),
        body: jsonBody(HolderKeyRequest, {
          alg: 'Ed25519',
          publicKey: 'Q3sGJdmImac2IHNAxA3CD4pCXOegM0Zt_iwxqaRebdI',
        }),
      },
      responses: okResponses(HolderKeyBinding, 'The binding', 404, 409),
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { binding } = unwrap(await bindHolderKey(services, c.get('actor'), id, c.req.valid('json')));
      return c.json(binding, 200);
    },
  );
}
