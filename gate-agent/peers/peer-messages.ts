/**
 * Sealing and opening peer messages: a message's exact body bytes are signed by the sending device
 * (context `peer-message`) and the signature travels in headers beside the device id. Opening checks,
 * in order: the body parses against the expected schema, the header names the same device as the body,
 * the device is on the cloud-signed peer list of the message's event, the signature is that device's,
 * the message is addressed to this gate (or to anyone, for a first contact through a static address),
 * and its clock is within MAX_PEER_CLOCK_SKEW_MS. Every failure is a value naming why, never a throw.
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { fromBase64Url, toBase64Url } from '../../shared/crypto/index';
import {
  MAX_PEER_CLOCK_SKEW_MS,
  PEER_DEVICE_HEADER,
  PEER_SIGNATURE_HEADER,
  type PeerMessage,
} from './protocol';

/** This gate as a sender: its device id and a signer over its own key (context `peer-message`). */
export interface PeerIdentity {
  deviceId: string;
  sign: (message: Uint8Array) => Uint8Array;
}

/** Looks up the message verifier of a device on an event's peer list; undefined when it is not listed. */
export type PeerKeyLookup = (
  eventId: string,
  deviceId: string,
) => ((message: Uint8Array, signature: Uint8Array) => boolean) | undefined;

export interface SealedMessage {
  body: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

export type OpenFailure =
  | 'malformed'
  | 'unknown-peer'
  | 'bad-signature'
  | 'wrong-recipient'
  | 'stale'
  | 'own-message';

export type Opened<T> = { ok: true; message: T } | { ok: false; why: OpenFailure; detail?: string };

/** A fresh message nonce (16 random bytes, base64url). */
export function newNonce(): string {
  return toBase64Url(randomBytes(16));
}

/** Serialises and signs a message; the body bytes are exactly what was signed. */
export function sealMessage(identity: PeerIdentity, message: PeerMessage): SealedMessage {
  const body = new TextEncoder().encode(JSON.stringify(message));
  return {
    body,
    headers: {
      'content-type': 'application/json',
      [PEER_DEVICE_HEADER]: identity.deviceId,
      [PEER_SIGNATURE_HEADER]: toBase64Url(identity.sign(body)),
    },
  };
}

export interface OpenOptions {
  /** This gate's device id: messages must be addressed to it (or to nobody in particular). */
  selfDeviceId: string;
  keyOf: PeerKeyLookup;
  /** This gate's cloud-corrected clock, unix ms. */
  now: number;
}

/** Parses, authenticates and checks one received message against `schema`. */
export function openMessage<S extends z.ZodType<PeerMessage>>(
  schema: S,
  body: Uint8Array,
  headers: { device: string | null | undefined; signature: string | null | undefined },
  options: OpenOptions,
): Opened<z.infer<S>> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return { ok: false, why: 'malformed', detail: 'not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, why: 'malformed', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}` };
  }
  const message = parsed.data as PeerMessage;
  if (!headers.device || headers.device.toLowerCase() !== message.from.toLowerCase())
    return { ok: false, why: 'malformed', detail: 'sender header' };
  if (message.from.toLowerCase() === options.selfDeviceId.toLowerCase())
    return { ok: false, why: 'own-message' };
  const verify = options.keyOf(message.eventId, message.from);
  if (!verify) return { ok: false, why: 'unknown-peer' };
  const signature = headers.signature ? fromBase64Url(headers.signature) : undefined;
  if (!signature || !verify(body, signature)) return { ok: false, why: 'bad-signature' };
  if (message.to !== null && message.to.toLowerCase() !== options.selfDeviceId.toLowerCase())
    return { ok: false, why: 'wrong-recipient' };
  if (Math.abs(message.sentAt - options.now) > MAX_PEER_CLOCK_SKEW_MS) return { ok: false, why: 'stale' };
  return { ok: true, message: parsed.data };
}
