/**
 * HTTP routes of the box office (issue 17): manual check-in of a ticket whose code cannot be scanned,
 * and the undo of an entry or exit made by mistake. Venue staff and admins of the event's tenant; another
 * tenant's event, ticket or gate is 404 like a missing one.
 */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonResponse } from '../http/answers';
import { actorOf, bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, Timestamp, z } from '../http/schemas';
import { undoAdmission } from '../services/admission-undo';
import { checkInTicket } from '../services/box-office';
import { ValidationResult } from './validation';

const Note = z
  .string()
  .max(500, 'a note has at most 500 characters')
  .optional()
  .openapi({ description: 'Why, in the staff’s words (≤ 500 characters); shown in reconciliation' });

const CheckIn = z
  .strictObject({
    gateId: z.uuid().openapi({ description: 'The gate (of the event’s venue) the holder is let through' }),
    direction: z.enum(['in', 'out']).optional().openapi({ description: 'Default `in`' }),
    note: Note,
  })
  .openapi('CheckInRequest');

const AdmissionName = z.object({
  origin: z.string().openapi({ description: 'A gate device’s id, or `cloud`' }),
  originSeq: z.number().int(),
});

const FiledAdmission = AdmissionName.extend({ at: Timestamp }).openapi('FiledAdmission');

const CheckInResult = ValidationResult.extend({
  admission: FiledAdmission.nullable().openapi({
    description: 'The admission record filed (origin `cloud`); null when the decision is a reject',
  }),
}).openapi('CheckInResult');

const Undo = z
  .strictObject({
    origin: z
      .union([z.uuid(), z.literal('cloud')])
      .openapi({ description: 'Origin of the entry or exit to undo: a gate device’s id, or `cloud`' }),
    originSeq: z.number().int().min(1).openapi({ description: 'Its number at that origin' }),
    note: Note,
  })
  .openapi('UndoRequest');

const UndoResult = z.object({ undone: AdmissionName, undo: FiledAdmission }).openapi('UndoResult');

const ROLES: Array<'venue_staff' | 'admin'> = ['venue_staff', 'admin'];

/** Routes under /api/v1 for the box office. */
export function boxOfficeRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/tickets/{ticketId}/check-in',
        operationId: 'checkInTicket',
        summary: 'Check a ticket in (or out) by hand, by the same rules as a scan',
        description:
          'For a code that cannot be scanned: the ticket is decided exactly as `POST /validate` decides ' +
          'its current code (reasons, `alreadyUsed`, `allowedGateIds`), the attempt is recorded in the ' +
          'scan log, and an accept files an admission record (origin `cloud`, naming the staff user and ' +
          'the note) that every gate of the event receives with its next manifest pull. A reject changes ' +
          'nothing else. The gate must be one of the event’s venue (404 otherwise).',
        ...bearerAccess(['box office'], ROLES, limits.read),
        request: {
          params: idParams('id', 'ticketId'),
          body: jsonBody(CheckIn, {
            gateId: '0196f3a2-7c1e-7b3a-9f2d-4d5e6f708192',
            direction: 'in',
            note: 'Phone screen cracked; checked photo ID',
          }),
        },
        responses: {
          200: jsonResponse(CheckInResult, 'The decision, and the record filed on an accept'),
          ...errorResponses(404),
        },
      }),
      async (c) => {
        const { id, ticketId } = c.req.valid('param');
        const { checkIn } = unwrap(
          await checkInTicket(services, actorOf(c), { eventId: id, ticketId }, c.req.valid('json')),
        );
        return c.json(checkIn, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/admissions/undo',
        operationId: 'undoAdmission',
        summary: 'Undo an entry or exit made by mistake (within 5 minutes, the ticket’s latest)',
        description:
          'Takes back one admission record of the event — a gate’s or the cloud’s, named by origin and ' +
          'number — by the rule every gate applies: within 5 minutes of its time, only the ticket’s ' +
          'latest entry or exit, and once. The undo is a record of its own (origin `cloud`, direction ' +
          '`undo`), naming the staff user and the note, that gates receive with their next manifest ' +
          'pull and reconciliation lists. 404 `ADMISSION_NOT_FOUND`; 409 `UNDO_WINDOW_PASSED`, ' +
          '`ADMISSION_NOT_LATEST` or `ADMISSION_ALREADY_UNDONE`.',
        ...bearerAccess(['box office'], ROLES, limits.read),
        request: {
          params: idParams('id'),
          body: jsonBody(Undo, {
            origin: 'cloud',
            originSeq: 12,
            note: 'Checked in the wrong ticket',
          }),
        },
        responses: {
          200: jsonResponse(UndoResult, 'The record undone and the undo record filed'),
          ...errorResponses(404, 409),
        },
      }),
      async (c) => {
        const { undo } = unwrap(
          await undoAdmission(services, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        );
        return c.json(undo, 200);
      },
    );
}
