/**
 * A holder's wallet device for tests (issue 20): a key pair made with node's crypto, in the raw public-key
 * form the wallet binds (Ed25519: 32 bytes; ES256: the 65-byte uncompressed P-256 point), and the rotating
 * codes it would show, signed the way WebCrypto signs (ECDSA as r ‖ s).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import {
  encodeHolderCode,
  type HolderCodeFields,
  type HolderKeyAlg,
  holderCodeSigningInput,
  holderCodeStep,
  holderEventTag,
  toBase64Url,
} from '../../shared/crypto';

export interface HolderDevice {
  alg: HolderKeyAlg;
  publicKey: Uint8Array;
  /** base64url of the raw public key: the binding's `publicKey`. */
  publicKeyText: string;
  /** The code this device shows for the ticket at `atMs` (unix ms). */
  code(ticket: HolderTicket, atMs: number): string;
  /** A code for exactly these fields (for codes no honest wallet makes). */
  codeOf(eventId: string, fields: HolderCodeFields): string;
}

/** What a code names: the ticket at its generation, under a binding. */
export interface HolderTicket {
  eventId: string;
  serial: number;
  generation: number;
  bindingNo: number;
}

export function holderDevice(alg: HolderKeyAlg): HolderDevice {
  const signer =
    alg === 'Ed25519'
      ? (() => {
          const { publicKey, privateKey } = generateKeyPairSync('ed25519');
          // The raw key ends the DER SPKI; not a JWK export (Node 20's can deadlock under a garbage
          // collection: gate-agent/test-support/holder-device.ts).
          const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
          return { raw, sign: (m: Uint8Array) => sign(null, m, privateKey) };
        })()
      : (() => {
          const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
          const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-65);
          return {
            raw,
            sign: (m: Uint8Array) => sign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
          };
        })();
  const publicKey = new Uint8Array(signer.raw);
  const codeOf = (eventId: string, fields: HolderCodeFields) =>
    encodeHolderCode(fields, new Uint8Array(signer.sign(holderCodeSigningInput(eventId, fields))));
  return {
    alg,
    publicKey,
    publicKeyText: toBase64Url(publicKey),
    codeOf,
    code: (ticket, atMs) =>
      codeOf(ticket.eventId, {
        eventTag: holderEventTag(ticket.eventId),
        serial: ticket.serial,
        generation: ticket.generation,
        bindingNo: ticket.bindingNo,
        step: holderCodeStep(atMs),
      }),
  };
}
