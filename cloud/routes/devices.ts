/**
 * HTTP routes for an organiser's gate devices (admin): enrollment tokens (also as a QR to scan at the
 * gate), the device list, and revocation (SPEC section 4, "Venues, gates, devices").
 */
import { createRoute } from '@hono/zod-openapi';
import QRCode from 'qrcode';
import { createdResponses, okResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, PageQuery, pageOf, Timestamp, z } from '../http/schemas';
import { createEnrollmentToken, listDevices, revokeDevice } from '../services/devices';

const Device = z
  .object({
    id: z.uuid(),
    gateId: z.uuid(),
    name: z.string(),
    status: z.enum(['active', 'revoked']),
    eventIds: z.array(z.uuid()).nullable(),
    ackedSeq: z.number().int(),
    lastSeenAt: Timestamp.nullable(),
    lastUploadAt: Timestamp.nullable(),
    clockOffsetMs: z.number().int().nullable(),
    createdAt: Timestamp,
    revokedAt: Timestamp.nullable(),
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
    expiresAt: Timestamp,
    qrSvg: z.string().openapi({ description: 'The token as a QR code (SVG) for the gate to scan' }),
  })
  .openapi('Enrollment');

/** The enrollment token as a QR code (SVG) for the gate's camera. */
function enrollmentQrSvg(token: string): Promise<string> {
  return QRCode.toString(token, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** Routes under /api/v1 for gate devices (admin). */
export function deviceRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const admin = bearerAccess(['devices'], ['admin'], limits.read);
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/gates/{id}/enrollments',
        summary: 'Issue a one-time enrollment token for a gate device',
        ...admin,
        request: {
          params: idParams('id'),
          body: jsonBody(CreateEnrollment, {
            eventIds: ['0196f3a2-7c1e-7b3a-9f2d-5e6f70819203'],
            ttlSeconds: 86400,
          }),
        },
        responses: createdResponses(Enrollment, 'The enrollment token', 404),
      }),
      async (c) => {
        const { id: gateId } = c.req.valid('param');
        const enrollment = unwrap(
          await createEnrollmentToken(services, c.get('actor'), gateId, c.req.valid('json')),
        );
        return c.json(
          {
            id: enrollment.id,
            gateId: enrollment.gateId,
            token: enrollment.token,
            expiresAt: enrollment.expiresAt.toISOString(),
            qrSvg: await enrollmentQrSvg(enrollment.token),
          },
          201,
        );
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/devices',
        summary: 'List gate devices',
        ...admin,
        request: { query: PageQuery.extend({ gateId: z.uuid().optional() }) },
        responses: okResponses(pageOf(Device, 'DevicePage'), 'A page of devices'),
      }),
      async (c) => {
        const { page } = unwrap(await listDevices(services, c.get('actor'), c.req.valid('query')));
        return c.json(page, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/devices/{id}/revoke',
        summary: 'Revoke a device: its next sync is refused and it wipes its data',
        ...admin,
        request: { params: idParams('id') },
        responses: okResponses(Device, 'The revoked device', 404),
      }),
      async (c) => {
        const { device } = unwrap(await revokeDevice(services, c.get('actor'), c.req.valid('param').id));
        return c.json(device, 200);
      },
    );
}
