/**
 * A holder's phone for tests and benches (issue 20): a key pair as the wallet makes it (Ed25519 or ECDSA
 * P-256), held here by node crypto, that signs rotating codes for a ticket at any instant. The gate only
 * ever sees its public key, sealed in the manifest row's box (ManifestFixture.bindHolder).
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  encodeHolderCode,
  type HolderCodeFields,
  type HolderKeyAlg,
  holderCodeSigningInput,
  holderCodeStep,
  holderEventTag,
} from '../../shared/crypto/index';

/** The ticket a code is made for, as the wallet knows it from the binding answer. */
export interface HolderTicket {
  eventId: string;
  serial: number;
  generation: number;
  bindingNo: number;
}

export class HolderDevice {
  readonly alg: HolderKeyAlg;
  /** 32 bytes (Ed25519) or the 65-byte uncompressed P-256 point. */
  readonly publicKey: Uint8Array;
  readonly #privateKey: KeyObject;

  constructor(alg: HolderKeyAlg = 'Ed25519') {
    this.alg = alg;
    if (alg === 'Ed25519') {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      this.publicKey = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
      this.#privateKey = privateKey;
      return;
    }
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // The uncompressed point ends the DER SubjectPublicKeyInfo. Not through a JWK export: Node 20's
    // ExportJWKEcKey can deadlock when a garbage collection it triggers frees the key pair's KeyGenJob
    // (both take the key's mutex) — seen here hanging bench/holder-code.ts at 12,000 phone keys.
    this.publicKey = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(-65));
    this.#privateKey = privateKey;
  }

  /** Signs `message` as the wallet does (Ed25519, or ECDSA P-256 SHA-256 as r ‖ s). */
  sign(message: Uint8Array): Uint8Array {
    if (this.alg === 'Ed25519') return new Uint8Array(sign(null, message, this.#privateKey));
    return new Uint8Array(sign('sha256', message, { key: this.#privateKey, dsaEncoding: 'ieee-p1363' }));
  }

  /** The fields of the code for `ticket` shown at `at` (unix ms, the cloud's clock as the phone knows it). */
  static fieldsOf(ticket: HolderTicket, at: number): HolderCodeFields {
    return {
      eventTag: holderEventTag(ticket.eventId),
      serial: ticket.serial,
      generation: ticket.generation,
      bindingNo: ticket.bindingNo,
      step: holderCodeStep(at),
    };
  }

  /** The code text the phone shows for `ticket` at `at`. */
  code(ticket: HolderTicket, at: number): string {
    const fields = HolderDevice.fieldsOf(ticket, at);
    return encodeHolderCode(fields, this.sign(holderCodeSigningInput(ticket.eventId, fields)));
  }
}
