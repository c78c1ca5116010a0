/**
 * HTTP routes for an organiser's gate devices (admin): enrollment tokens (also as a QR to scan at the
 * gate), the device list, and revocation (SPEC section 4, "Venues, gates, devices").
 */
import { createRoute } from '@hono/zod-openapi';
import QRCode from 'qrcode';
import { requireRole } from '../http/auth';
import {
  actorOf,
  createRouter,
  errorResponses,
  idParams,
  jsonBody,
  jsonResponse,
  PageQuery,
  pageOf,
  type RouteDeps,
  security,
  unwrap,
  z,
} from '../http/openapi';
import { createEnrollmentToken, listDevices, revokeDevice } from '../services/devices';

const Device = z
  .object({
    id: z.uuid(),
    gateId: z.uuid(),
    name: z.string(),
    status: z.enum(['active', 'revoked']),
    eventIds: z.array(z.uuid()).nullable(),
    ackedSeq: z.number().int(),
    lastSeenAt: z.string().nullable(),
    lastUploadAt: z.string().nullable(),
    clockOffsetMs: z.number().int().nullable(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi('Device');

const CreateEnrollment = z
  .strictObject({
    eventIds: z.array(z.uuid()).max(100).optional(),
    ttlSeconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 24 * 3600)
      .optional(),
  })
  .openapi('CreateEnrollment');

const Enrollment = z
  .object({
    id: z.uuid(),
    gateId: z.uuid(),
    token: z.string().openapi({ description: 'One-time token; shown only in this response' }),
    expiresAt: z.string(),
    qrSvg: z.string().openapi({ description: 'The token as a QR code (SVG) for the gate to scan' }),
  })
  .openapi('Enrollment');

/** Routes under /api/v1 for gate devices (admin). */
export function deviceRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const admin = [requireRole('admin'), limits.read];
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/gates/{id}/enrollments',
        tags: ['devices'],
        summary: 'Issue a one-time enrollment token for a gate device',
        security,
        middleware: admin,
        request: { params: idParams('id'), body: jsonBody(CreateEnrollment) },
        responses: { 201: jsonResponse(Enrollment, 'The enrollment token'), ...errorResponses(404) },
      }),
      async (c) => {
        const result = unwrap(
          await createEnrollmentToken(services, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        );
        const qrSvg = await QRCode.toString(result.token, {
          type: 'svg',
          errorCorrectionLevel: 'M',
          margin: 2,
        });
        return c.json(
          {
            id: result.id,
            gateId: result.gateId,
            token: result.token,
            expiresAt: result.expiresAt.toISOString(),
            qrSvg,
          },
          201,
        );
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/devices',
        tags: ['devices'],
        summary: 'List gate devices',
        security,
        middleware: admin,
        request: { query: PageQuery.extend({ gateId: z.uuid().optional() }) },
        responses: {
          200: jsonResponse(pageOf(Device, 'DevicePage'), 'A page of devices'),
          ...errorResponses(),
        },
      }),
      async (c) => {
        const { page } = unwrap(await listDevices(services, actorOf(c), c.req.valid('query')));
        return c.json(page, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/devices/{id}/revoke',
        tags: ['devices'],
        summary: 'Revoke a device: its next sync is refused and it wipes its data',
        security,
        middleware: admin,
        request: { params: idParams('id') },
        responses: { 200: jsonResponse(Device, 'The revoked device'), ...errorResponses(404) },
      }),
      async (c) => {
        const { device } = unwrap(await revokeDevice(services, actorOf(c), c.req.valid('param').id));
        return c.json(device, 200);
      },
    );
}
