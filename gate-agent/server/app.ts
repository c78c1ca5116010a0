/**
 * The gate agent's local HTTP API (SPEC 7), a Hono app served on 127.0.0.1 only: scan, status, sync
 * now, Prometheus metrics, and the scanner UI's files. HTTP only: decisions come from the pipeline,
 * status and sync from the agent, through the small interface below.
 *
 * Because any web page the station's browser opens could send requests to 127.0.0.1, the API accepts
 * only requests addressed to a loopback host name (defeats DNS rebinding) and, for POSTs, only
 * `application/json` bodies (a cross-origin page cannot send those without a CORS preflight, which this
 * server never grants). Nor may such a page frame the scanner UI (it would act in the station's name):
 * every answer — UI, API, errors — forbids framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`).
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { UndoRefusal } from '../../shared/admission/undo';
import type { DecisionCounters } from '../store/scan-log';
import type { ScanResponse } from '../verify/pipeline';
import type { GateMetrics } from './metrics';
import { staticUi } from './static-ui';
import type { ZoneRef, ZoneStatus } from './zone-status';

/** GET /api/status. Times are unix ms. */
export interface AgentStatus {
  deviceId: string | null;
  gate: { id: string | null; name: string | null };
  online: boolean;
  lastSyncAt: number | null;
  pendingUploads: number;
  counters: DecisionCounters;
  events: {
    id: string;
    name: string;
    /** The change sequence the live copy has applied. */
    manifestSeq: number;
    /** Rows in the live copy (revoked tickets included: a revocation is a tombstone). */
    tickets: number;
    /** Seconds since the last successful pull of this event; null before the first. */
    manifestAgeSeconds: number | null;
    /** The event venue's IANA time zone (manifest event header); null before the first pull. */
    timeZone: string | null;
    /**
     * Issue 18 (present once the gate holds a copy of the event): this gate's passage (`in` moves
     * from → to, `out` back), each side a zone, `outside` ("Outside") or `venue` (the one implicit zone
     * of a venue without zones, named after the event).
     */
    passage?: { from: ZoneRef; to: ZoneRef };
    /** The venue's zones with the holders inside each as this gate counts them (server/zone-status.ts). */
    zones?: ZoneStatus[];
    /**
     * Up to when (device clock, unix ms) this gate has heard every other door: the older of the last pull
     * and the last word from its least recently heard peer; null before the first pull.
     */
    occupancyAsOf?: number | null;
  }[];
  /**
   * The venue's IANA time zone, the one every time on the scanner is shown in (issue 17): the zone of
   * the events this gate holds (a gate stands at one venue). Null before the first manifest pull; the UI
   * then shows device time and says so.
   */
  venueTimeZone: string | null;
  /** Gate-to-gate replication on the venue LAN; null or absent when this gate has no peers configured. */
  peers?: { listed: number; reachable: number } | null;
  /**
   * When the scanner UI shows the ticket list as stale (amber) and very stale (red), in minutes since
   * the last successful pull: the operator's `staleAfterMinutes` / `veryStaleAfterMinutes`.
   */
  manifestThresholds?: { staleAfterMinutes: number; veryStaleAfterMinutes: number };
  /**
   * How far this gate trusts its clock for holder-bound rotating codes (issue 20): the offset to the
   * cloud's clock (null: never measured), `ok` below 30 s, else `unknown` / `large` — then the window a
   * code may be from is widened to the operator's max skew (`holderCodeWindowSeconds`, either side).
   */
  clock: { offsetMs: number | null; state: 'ok' | 'unknown' | 'large'; holderCodeWindowSeconds: number };
}

/** The answer of `POST /api/undo` (issue 17): the entry or exit taken back and the undo record made. */
export interface UndoResponse {
  undone: { origin: string; originSeq: number; direction: 'in' | 'out'; at: number };
  undo: { origin: string; originSeq: number; at: number };
  ticket: { eventId: string; serial: number; generation: number | null };
  /** The undo's own row in the scan log (uploaded to the cloud like a scan). */
  seq: number;
}

/** An undo the rule refused (shared/admission/undo.ts): 404 for ADMISSION_NOT_FOUND, 409 otherwise. */
export interface UndoRefused {
  refusal: UndoRefusal;
  message: string;
}

export interface LocalApiOptions {
  /** Decides and durably records one scan (the agent's group-committing batcher). */
  scan: (code: string, direction: 'in' | 'out') => Promise<ScanResponse>;
  /** Undoes an accepted scan of this station, named by its scan-log seq (the scan answer's `seq`). */
  undo: (seq: number) => Promise<UndoResponse | UndoRefused>;
  status: () => Promise<AgentStatus>;
  syncNow: () => Promise<AgentStatus>;
  metrics: GateMetrics;
  uiDir: string;
  logger?: Logger;
}

/** The longest body /api/scan accepts. A token is ≤ 174 characters; room for wedge noise, no more. */
export const MAX_SCAN_BODY_BYTES = 16 * 1024;

const ScanRequest = z.strictObject({
  code: z.string(),
  direction: z.enum(['in', 'out']).optional(),
});

const UndoRequest = z.strictObject({ seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;

/**
 * On every answer: no page of any origin may frame the UI or the API (CSP `frame-ancestors` can only be
 * sent as a header; X-Frame-Options for browsers without it), and no content sniffing.
 */
export const FRAME_DENY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
};

type ErrorCode =
  | UndoRefusal
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'INTERNAL';
const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  ADMISSION_NOT_FOUND: 404,
  ADMISSION_ALREADY_UNDONE: 409,
  ADMISSION_NOT_LATEST: 409,
  UNDO_WINDOW_PASSED: 409,
};

function failure(code: ErrorCode, message: string) {
  return { body: { error: { code, message } }, status: STATUS[code] };
}

/** Builds the app; the caller serves it (node-server in production, app.request() in tests). */
export function createLocalApp(options: LocalApiOptions): Hono {
  const app = new Hono();
  const fail = (c: Context, code: ErrorCode, message: string) => {
    const f = failure(code, message);
    return c.json(f.body, f.status);
  };

  app.onError((error, c) => {
    options.logger?.error({ err: error }, 'local API error');
    return fail(c, 'INTERNAL', 'internal error');
  });
  app.notFound((c) => fail(c, 'NOT_FOUND', 'no such route'));

  app.use('*', async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(FRAME_DENY_HEADERS)) c.res.headers.set(name, value);
  });

  app.use('*', async (c, next) => {
    const host = c.req.header('host');
    if (host !== undefined && !LOOPBACK_HOST.test(host))
      return fail(c, 'FORBIDDEN', 'the gate agent answers on loopback only');
    await next();
  });

  /** The JSON body of a POST, or the failure to answer (wrong type, not JSON). */
  const jsonBody = async (c: Context, example: string): Promise<{ body: unknown } | { failed: Response }> => {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\b/i.test(type))
      return { failed: fail(c, 'UNSUPPORTED_MEDIA_TYPE', `send application/json: ${example}`) };
    try {
      return { body: JSON.parse(await c.req.text()) };
    } catch {
      return { failed: fail(c, 'MALFORMED_JSON', 'the body is not valid JSON') };
    }
  };
  const smallBody = bodyLimit({
    maxSize: MAX_SCAN_BODY_BYTES,
    onError: (c) => fail(c, 'PAYLOAD_TOO_LARGE', `body over ${MAX_SCAN_BODY_BYTES} bytes`),
  });

  app.post('/api/scan', smallBody, async (c) => {
    const read = await jsonBody(c, '{"code": "...", "direction": "in"}');
    if ('failed' in read) return read.failed;
    const parsed = ScanRequest.safeParse(read.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(
        c,
        'VALIDATION_FAILED',
        `expected {"code": string, "direction"?: "in" | "out"}${issue ? `: ${issue.path.join('.') || 'body'} ${issue.message}` : ''}`,
      );
    }
    const response = await options.scan(parsed.data.code, parsed.data.direction ?? 'in');
    return c.json(response);
  });

  // Undo at the station (issue 17): same guards as a scan (loopback host, JSON only, small body).
  app.post('/api/undo', smallBody, async (c) => {
    const read = await jsonBody(c, '{"seq": 17}');
    if ('failed' in read) return read.failed;
    const parsed = UndoRequest.safeParse(read.body);
    if (!parsed.success)
      return fail(c, 'VALIDATION_FAILED', 'expected {"seq": the scan answer\'s seq (a positive integer)}');
    const answer = await options.undo(parsed.data.seq);
    if ('refusal' in answer) return fail(c, answer.refusal, answer.message);
    return c.json(answer);
  });

  app.get('/api/status', async (c) => c.json(await options.status()));

  app.post('/api/sync', async (c) => c.json(await options.syncNow()));

  app.get('/metrics', async (c) => {
    const text = await options.metrics.registry.metrics();
    return c.text(text, 200, { 'content-type': options.metrics.registry.contentType });
  });

  app.all('/api/*', (c) => fail(c, 'NOT_FOUND', 'no such route'));
  app.get('*', staticUi(options.uiDir));
  return app;
}
