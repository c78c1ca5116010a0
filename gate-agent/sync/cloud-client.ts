/**
 * The gate's HTTP client for the cloud's device API (SPEC 6, shared/sync-protocol): enrollment, the
 * device access token (challenge signed with the device key), manifest pages, scan uploads, health
 * reports and the push stream. Every request has a timeout; a network failure is a CloudError with status null (the
 * gate is offline), never a crash.
 *
 * Device revocation: a 401 whose error code is DEVICE_REVOKED, or a 401 that persists after a fresh
 * token was obtained (or the token exchange itself answers 401), means the cloud no longer knows this
 * device. The client then wipes the local store (SPEC 4) and throws DeviceRevokedError.
 */
import { hostname } from 'node:os';
import { fromBase64Url, generateDeviceKeyPair, signDetached, toBase64Url } from '../../shared/crypto/index';
import {
  ChallengeResponse,
  DeviceTokenResponse,
  deviceTokenMessage,
  EnrollResponse,
  type GateReport,
  GateReportAck,
  MANIFEST_KEY_ID_HEADER,
  MANIFEST_RESET_CODE,
  MANIFEST_SIGNATURE_HEADER,
  ScanAck,
  type ScanRecord,
} from '../../shared/sync-protocol/index';
import type { GateStore } from '../store/gate-store';
import type { PageRequest, PageResponse } from './pull';

/** A failed exchange with the cloud. `status` null: no answer (offline, timeout). */
/**
 * How long a push stream may stay silent before it is given up, until `ready` names the cloud's
 * heartbeat: 2.5 × the 15 s heartbeat of clouds that do not name theirs.
 */
export const DEFAULT_STREAM_SILENCE_MS = 37_500;

/** The silence limit for a cloud heartbeat of `heartbeatMs`: two heartbeats may be late, not three. */
export function streamSilenceLimit(heartbeatMs: number): number {
  return Math.max(1_000, Math.round(heartbeatMs * 2.5));
}

export class CloudError extends Error {
  override readonly name: string = 'CloudError';
  constructor(
    readonly code: string,
    readonly status: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True when retrying later may succeed (offline, 5xx, 429); false for a refusal. */
  get retryable(): boolean {
    return this.status === null || this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

export class DeviceRevokedError extends CloudError {
  override readonly name = 'DeviceRevokedError';
  constructor(message = 'the cloud revoked this device; local data wiped') {
    super('DEVICE_REVOKED', 401, message);
  }
}

export interface CloudClientOptions {
  baseUrl: string;
  store: GateStore;
  clock: () => number;
  fetch?: typeof fetch;
  /** Per-request timeout, ms (default 10 s). */
  timeoutMs?: number;
  /** Called after a revocation wiped the store. */
  onRevoked?: () => void;
}

/** Refresh the access token this long before the cloud says it expires (clock offset applied). */
const TOKEN_REFRESH_MARGIN_MS = 30_000;
const API = '/api/v1';

async function errorCodeOf(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown } };
    return typeof body?.error?.code === 'string' ? body.error.code : undefined;
  } catch {
    return undefined;
  }
}

export class CloudClient {
  readonly #baseUrl: string;
  readonly #store: GateStore;
  readonly #clock: () => number;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #onRevoked: (() => void) | undefined;
  #refreshing: Promise<string> | undefined;

  constructor(options: CloudClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (cause) {
      throw new RangeError(`cloud URL is not a URL: ${options.baseUrl}`, { cause });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new RangeError('cloud URL must be http(s)');
    this.#baseUrl = url.toString().replace(/\/+$/, '');
    this.#store = options.store;
    this.#clock = options.clock;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#onRevoked = options.onRevoked;
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  async #send(path: string, init: RequestInit = {}, timeoutMs = this.#timeoutMs): Promise<Response> {
    const signal = init.signal
      ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs);
    try {
      return await this.#fetch(`${this.#baseUrl}${API}${path}`, { ...init, signal });
    } catch (cause) {
      throw new CloudError('UNREACHABLE', null, `cloud unreachable: ${path}`, { cause });
    }
  }

  async #json<T>(
    path: string,
    body: unknown,
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  ): Promise<{ response: Response; data?: T; raw?: unknown; sentAt: number }> {
    const sentAt = this.#clock();
    const response = await this.#send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) return { response, sentAt };
    const raw: unknown = await response.json().catch(() => undefined);
    const parsed = schema.safeParse(raw);
    if (!parsed.success)
      throw new CloudError('BAD_RESPONSE', response.status, `unexpected answer from ${path}`);
    return { response, data: parsed.data, raw, sentAt };
  }

  async #failure(path: string, response: Response): Promise<CloudError> {
    const code = (await errorCodeOf(response)) ?? `HTTP_${response.status}`;
    return new CloudError(code, response.status, `${path}: ${response.status} ${code}`);
  }

  /**
   * Exchanges a one-time enrollment token for a device identity. The key pair is made here and the
   * private half never leaves the device. Stores identity, gate, served events, credentials and the
   * first clock offset. Returns the cloud's answer.
   */
  async enroll(enrollmentToken: string, name: string = hostname()): Promise<EnrollResponse> {
    const keys = generateDeviceKeyPair();
    const { response, data, sentAt } = await this.#json(
      '/devices/enroll',
      { enrollmentToken, publicKey: toBase64Url(keys.publicKey), name: name.slice(0, 100) || 'gate' },
      EnrollResponse,
    );
    if (!data) throw await this.#failure('/devices/enroll', response);
    const offset = Math.round(data.cloudTime - (sentAt + this.#clock()) / 2);
    this.#store.updateSettings({
      deviceId: data.deviceId,
      privateKey: keys.privateKey,
      publicKey: keys.publicKey,
      name,
      cloudUrl: this.#baseUrl,
      gateId: data.gate.id,
      gateName: data.gate.name,
      venueId: data.gate.venueId,
      accessToken: data.credentials.accessToken,
      accessTokenExpiresAt: data.credentials.expiresAt,
      enrolledAt: this.#clock(),
    });
    this.#store.setClockOffset(offset);
    this.#store.addServedEvents(data.events);
    // Trust bootstrap (sync/manifest-apply.ts): pin the cloud's signing keys from the enrollment answer.
    const pinned = data.signingKeys.flatMap((k) => {
      const publicKey = fromBase64Url(k.publicKey);
      return publicKey?.length === 32 ? [{ keyId: k.keyId, publicKey }] : [];
    });
    if (pinned.length > 0) this.#store.pinSigningKeys(pinned, 'enrollment');
    return data;
  }

  /** The cloud's clock as this device estimates it. */
  #cloudNow(): number {
    return this.#clock() + this.#store.settings.clockOffsetMs;
  }

  async #accessToken(force = false): Promise<string> {
    const { accessToken, accessTokenExpiresAt, deviceId } = this.#store.settings;
    if (!deviceId) throw new CloudError('NOT_ENROLLED', null, 'this device is not enrolled');
    if (
      !force &&
      accessToken &&
      accessTokenExpiresAt !== null &&
      this.#cloudNow() < accessTokenExpiresAt - TOKEN_REFRESH_MARGIN_MS
    ) {
      return accessToken;
    }
    // One refresh at a time: pull, push and stream may all find the token stale at once.
    this.#refreshing ??= this.#refreshToken().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refreshToken(): Promise<string> {
    const { deviceId, privateKey } = this.#store.settings;
    if (!deviceId || !privateKey) throw new CloudError('NOT_ENROLLED', null, 'this device is not enrolled');
    const challenge = await this.#json('/devices/challenge', { deviceId }, ChallengeResponse);
    if (!challenge.data) {
      if (challenge.response.status === 401 || challenge.response.status === 403) this.#revoked();
      throw await this.#failure('/devices/challenge', challenge.response);
    }
    const signature = signDetached(
      privateKey,
      deviceTokenMessage(deviceId, challenge.data.challenge),
      'device-request',
    );
    const token = await this.#json(
      '/devices/token',
      { deviceId, challenge: challenge.data.challenge, signature: toBase64Url(signature) },
      DeviceTokenResponse,
    );
    if (!token.data) {
      if (token.response.status === 401 || token.response.status === 403) this.#revoked();
      throw await this.#failure('/devices/token', token.response);
    }
    this.#store.updateSettings({
      accessToken: token.data.accessToken,
      accessTokenExpiresAt: token.data.expiresAt,
    });
    return token.data.accessToken;
  }

  #revoked(): never {
    this.#store.wipe();
    this.#onRevoked?.();
    throw new DeviceRevokedError();
  }

  /** A request with the device's bearer token; see the module header for what a 401 means. */
  async #authorized(path: string, init: RequestInit = {}, timeoutMs?: number): Promise<Response> {
    const attempt = async (force: boolean) => {
      const token = await this.#accessToken(force);
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      return this.#send(path, { ...init, headers }, timeoutMs);
    };
    let response = await attempt(false);
    if (response.status !== 401) return response;
    if ((await errorCodeOf(response)) === 'DEVICE_REVOKED') this.#revoked();
    response = await attempt(true);
    if (response.status === 401) this.#revoked();
    return response;
  }

  /** GET /sync/manifest: one signed page, or a 409 reset. */
  async fetchPage(request: PageRequest): Promise<PageResponse> {
    const query = new URLSearchParams({
      eventId: request.eventId,
      after: String(request.after),
      limit: String(request.limit),
    });
    if (request.epoch !== undefined) query.set('epoch', request.epoch);
    const sentAt = this.#clock();
    const response = await this.#authorized(`/sync/manifest?${query}`, {
      headers: { 'accept-encoding': 'br, gzip' },
    });
    if (response.status === 409) {
      const code = await errorCodeOf(response);
      if (code === MANIFEST_RESET_CODE || code === undefined || code === 'CONFLICT') return { kind: 'reset' };
      throw new CloudError(code, 409, `/sync/manifest: 409 ${code}`);
    }
    if (!response.ok) throw await this.#failure('/sync/manifest', response);
    // fetch has already undone Content-Encoding: the signature covers the decompressed bytes.
    const body = new Uint8Array(await response.arrayBuffer());
    const signature = fromBase64Url(response.headers.get(MANIFEST_SIGNATURE_HEADER) ?? '');
    const keyId = Number(response.headers.get(MANIFEST_KEY_ID_HEADER));
    if (!signature || !Number.isInteger(keyId)) {
      throw new CloudError('UNSIGNED_PAGE', response.status, 'manifest page without a signature');
    }
    return { kind: 'page', page: { body, keyId, signature }, deviceTime: (sentAt + this.#clock()) / 2 };
  }

  /** POST /sync/scans: one batch; returns the acknowledgement and the measured clock offset. */
  async uploadScans(scans: readonly ScanRecord[]): Promise<{ ack: ScanAck; clockOffsetMs: number }> {
    const sentAt = this.#clock();
    const response = await this.#authorized('/sync/scans', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scans }),
    });
    if (!response.ok) throw await this.#failure('/sync/scans', response);
    const parsed = ScanAck.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success)
      throw new CloudError('BAD_RESPONSE', response.status, 'unexpected answer from /sync/scans');
    return {
      ack: parsed.data,
      clockOffsetMs: Math.round(parsed.data.cloudTime - (sentAt + this.#clock()) / 2),
    };
  }

  /**
   * POST /sync/report: the gate's key figures. A shorter timeout than the other calls: a report is
   * worth nothing late, and the report loop must never hold anything up.
   */
  async sendReport(report: GateReport, timeoutMs = 5_000): Promise<GateReportAck> {
    const response = await this.#authorized(
      '/sync/report',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) },
      timeoutMs,
    );
    if (!response.ok) throw await this.#failure('/sync/report', response);
    const parsed = GateReportAck.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success)
      throw new CloudError('BAD_RESPONSE', response.status, 'unexpected answer from /sync/report');
    return parsed.data;
  }

  /**
   * GET /sync/stream (Server-Sent Events): yields `{event, data}` until the stream ends or `signal`
   * aborts. The caller reconnects with backoff.
   *
   * No overall timeout (a stream is meant to stay open), but a silence limit: when no byte arrives for
   * `silence.limitMs` (heartbeats included) the stream is given up with a CloudError of status null — the
   * path is dead even though no one closed the connection. The caller may raise or lower the limit while
   * the stream runs (it learns the cloud's heartbeat from `ready`); each new byte re-arms it.
   */
  async *stream(
    signal: AbortSignal,
    silence: { limitMs: number } = { limitMs: DEFAULT_STREAM_SILENCE_MS },
  ): AsyncGenerator<{ event: string; data: string }> {
    const cut = new AbortController();
    const onAbort = () => cut.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let silent = false;
    let watchdog: NodeJS.Timeout | undefined;
    const rearm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        silent = true;
        cut.abort();
      }, silence.limitMs);
      watchdog.unref();
    };
    try {
      rearm();
      for await (const message of this.#streamEvents(cut.signal, rearm)) {
        yield message;
        rearm(); // the caller may have changed the limit (it learns the heartbeat from `ready`)
      }
    } catch (error) {
      if (silent && !signal.aborted)
        throw new CloudError('STREAM_SILENT', null, `push stream silent for ${silence.limitMs} ms`, {
          cause: error,
        });
      throw error;
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', onAbort);
      cut.abort();
    }
  }

  /** The SSE parser of `stream`: calls `heard` on every chunk (the silence watchdog). */
  async *#streamEvents(
    signal: AbortSignal,
    heard: () => void,
  ): AsyncGenerator<{ event: string; data: string }> {
    const response = await this.#authorized(
      '/sync/stream',
      { headers: { accept: 'text/event-stream' }, signal },
      2_147_483_647,
    );
    if (!response.ok || !response.body) throw await this.#failure('/sync/stream', response);
    const decoder = new TextDecoder();
    let buffer = '';
    let event = 'message';
    let data: string[] = [];
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      heard();
      buffer += decoder.decode(chunk, { stream: true });
      if (buffer.length > 1_000_000)
        throw new CloudError('BAD_STREAM', response.status, 'stream line too long');
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n') };
          event = 'message';
          data = [];
        } else if (line.startsWith('event:')) {
          event = line.slice(6).trim();
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
    }
  }
}
