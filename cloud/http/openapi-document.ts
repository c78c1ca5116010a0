/**
 * What the served OpenAPI document states beyond each route's own definition, derived here from the
 * routes and the request pipeline so that it cannot drift from them:
 *
 * - every operation has an operationId (from its method and path unless the route names one), a tag
 *   that the document declares with a description, and a description that ends with who may call it —
 *   "Roles: …" from the route's role check (`x-roles`, set by `bearerAccess`), the device token, or none;
 * - an operation without a security requirement states `security: []` (public, on purpose);
 * - every operation with a request body can answer 413 and 415 (http/request-body.ts refuses such bodies
 *   before any route runs), and every operation can answer 500;
 * - the document carries a license, and its description the rules no single operation owns (405 with
 *   `Allow` for a wrong method, the error envelope, how to authenticate).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context';

type OpenApiDocument = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>;
type Operation = Record<string, unknown> & {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  requestBody?: unknown;
  responses?: Record<string, unknown>;
  'x-roles'?: string[];
};

/** Every tag an operation may use, with what it groups. An undeclared tag fails document generation. */
export const TAGS: Record<string, string> = {
  venues: 'Venues and their gates (doors).',
  events: 'Events: drafts, edits, publication, cancellation.',
  'ticket types': 'What an event sells: price, capacity, the gates a type may enter.',
  purchase: 'Holds and purchases by customers.',
  orders: 'Refunds of orders.',
  tickets: 'Tickets, their QR codes and transfers.',
  validation: 'Online validation of a scanned QR by venue staff.',
  'box office':
    'The box office: manual check-in of a ticket whose code cannot be scanned, and undoing an entry or exit made by mistake.',
  devices: 'Gate devices of an organiser: enrollment tokens, the device list, revocation.',
  reports: 'Attendance, reconciliation, operations view and analytics.',
  sync: 'What gate devices call with their own credentials: enrollment, device tokens, manifest, scans, push stream, health report.',
  operations: 'Health checks and Prometheus metrics, outside /api/v1.',
};

export const API_DESCRIPTION = `Ticket sales, holds, purchases, transfers, refunds, online validation and the gate devices' sync.

## Authentication

- **Users** send \`Authorization: Bearer <JWT>\` (scheme \`bearerAuth\`): an HS256 or identity-provider JWT with the claims \`sub\` (user), \`tid\` (tenant) and \`role\` (\`customer\`, \`venue_staff\`, \`admin\` or \`ops\`). Each operation's description names the roles it admits ("Roles: …"); any other role is 403 \`FORBIDDEN\`, another tenant's ids are 404 like missing ones.
- **Gate devices** send \`Authorization: Bearer <device access token>\` (scheme \`deviceAuth\`), obtained from \`POST /api/v1/devices/token\` with a signed challenge after enrollment; never a user JWT.
- Operations with \`security: []\` need no credentials (health checks, device enrollment and token exchange).

## Rules every operation follows

- Errors are always \`{"error": {"code", "message", "requestId"}}\` with a stable \`code\`; every response carries \`x-request-id\`.
- A request body must be \`application/json\` (else 415 \`UNSUPPORTED_MEDIA_TYPE\`) and at most 1 MiB (else 413 \`PAYLOAD_TOO_LARGE\`); unknown fields are 400 \`VALIDATION_FAILED\`.
- A method a path does not offer answers 405 \`METHOD_NOT_ALLOWED\` with an \`Allow\` header listing the methods it does; a path that does not exist answers 404.
- Lists answer \`{items, nextCursor}\` and take \`?limit=&cursor=\` (the cursor is the previous page's \`nextCursor\`, opaque).
- Rate limits answer 429 with \`Retry-After\`.`;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ERROR_REF } },
});

/** `GET /api/v1/events/{id}/ticket-types` → `getEventsIdTicketTypes`: unique, as method + path are. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/v1\//, '/')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

/** Who may call an operation, as its description's last paragraph states it. */
function accessOf(operation: Operation): string {
  const roles = operation['x-roles'];
  if (roles && roles.length > 0) return `Roles: ${roles.join(', ')}`;
  const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  if (schemes.includes('deviceAuth')) return 'Authentication: a gate device access token (deviceAuth).';
  if (schemes.length === 0) return 'Authentication: none.';
  throw new Error(`operation ${operation.operationId}: a bearer operation must name its roles (x-roles)`);
}

function finishOperation(method: string, path: string, operation: Operation): void {
  operation.operationId ??= operationIdOf(method, path);
  if (!operation.tags || operation.tags.length === 0) throw new Error(`${method} ${path}: no tag`);
  for (const tag of operation.tags) {
    if (!TAGS[tag]) throw new Error(`${method} ${path}: tag "${tag}" is not declared in TAGS`);
  }
  operation.security ??= [];
  const access = accessOf(operation);
  // The summary is shown as the title already; a description of its own comes before who may call it.
  operation.description = [operation.description, access].filter(Boolean).join('\n\n');
  operation.responses ??= {};
  const responses = operation.responses;
  if (operation.requestBody) {
    responses['413'] ??= errorResponse('Body over 1 MiB (`PAYLOAD_TOO_LARGE`)');
    responses['415'] ??= errorResponse('Body is not application/json (`UNSUPPORTED_MEDIA_TYPE`)');
  }
  responses['500'] ??= errorResponse('Internal error (`INTERNAL`): nothing about it is disclosed');
}

/** The served document: the generated one with the derived statements above. */
export function finishDocument(document: OpenApiDocument): OpenApiDocument {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (operation) finishOperation(method, path, operation);
    }
  }
  const used = new Set(
    Object.values(document.paths ?? {}).flatMap((item) =>
      METHODS.flatMap((method) => (item as Record<string, Operation | undefined>)[method]?.tags ?? []),
    ),
  );
  document.tags = Object.entries(TAGS)
    .filter(([name]) => used.has(name))
    .map(([name, description]) => ({ name, description }));
  return document;
}
