/**
 * HTTP route for online validation of a scanned QR (SPEC section 4): the same decision as a gate agent,
 * for the static ticket token and for the wallet's holder-bound rotating code (issue 20).
 */
import { createRoute } from '@hono/zod-openapi';
import { normaliseScannedText } from '../../shared/admission';
import { ADMISSION_REASONS } from '../../shared/admission/reasons';
import { looksLikeHolderCode } from '../../shared/crypto';
import {
  actorOf,
  bearerAccess,
  createRouter,
  errorResponses,
  jsonBody,
  jsonResponse,
  type RouteDeps,
  unwrap,
  z,
} from '../http/openapi';
import { Timestamp } from '../http/schemas';
import { validateOnline } from '../services/validation';
import { validateHolderCodeOnline } from '../services/validation-holder';

const Validate = z
  .strictObject({
    qr: z.string().min(1).max(1024).openapi({
      description: 'The scanned text: a static ticket token, or the wallet’s rotating code (122 characters)',
    }),
    gateId: z.uuid(),
    direction: z.enum(['in', 'out']).optional(),
  })
  .openapi('ValidateRequest');

export const ValidationResult = z
  .object({
    decision: z.enum(['accept', 'reject']),
    reason: z.enum(ADMISSION_REASONS),
    detail: z.string().optional(),
    ticket: z
      .object({
        id: z.uuid().optional(),
        serial: z.number().int(),
        typeNo: z.number().int(),
        typeName: z.string().optional(),
        generation: z.number().int(),
      })
      .optional(),
    holderName: z
      .string()
      .nullable()
      .optional()
      .describe(
        "With a ticket the cloud holds: its holder's name, null when it has none (check it against an ID)",
      ),
    alreadyUsed: z.object({ at: z.string(), gateId: z.uuid(), gateName: z.string().nullable() }).optional(),
    allowedGateIds: z.array(z.uuid()).optional(),
    zone: z
      .object({
        id: z.uuid(),
        name: z.string(),
        capacity: z.number().int().nullable(),
        inside: z.number().int(),
      })
      .optional()
      .describe(
        'At a venue with zones: the zone the scan leads into and how many were in it before the move — on an accept into a zone, ZONE_FULL, ZONE_NOT_ALLOWED and ALREADY_USED no-reentry',
      ),
    scannedAt: Timestamp,
  })
  .openapi('ValidationResult');

/** `POST /validate` under /api/v1 (venue staff). */
export function validationRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  return createRouter().openapi(
    createRoute({
      method: 'post',
      path: '/validate',
      summary: 'Validate a scanned QR online (same decision and reasons as a gate agent)',
      ...bearerAccess(['validation'], ['venue_staff'], limits.read),
      request: {
        body: jsonBody(Validate, {
          qr: 'GV1.AbCdEf0123456789',
          gateId: '0196f3a2-7c1e-7b3a-9f2d-4d5e6f708192',
          direction: 'in',
        }),
      },
      responses: { 200: jsonResponse(ValidationResult, 'The decision'), ...errorResponses(404) },
    }),
    async (c) => {
      const input = c.req.valid('json');
      // The two kinds of code differ in length and version byte: each goes its own way to one decision
      // (a static token is normalised where it is opened; a holder code here, as a gate does).
      const text = normaliseScannedText(input.qr);
      const { validation } = unwrap(
        looksLikeHolderCode(text)
          ? await validateHolderCodeOnline(services, actorOf(c), { ...input, qr: text })
          : await validateOnline(services, actorOf(c), input),
      );
      return c.json(validation, 200);
    },
  );
}
