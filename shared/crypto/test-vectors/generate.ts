/**
 * Writes tokens.json: ticket-token test vectors from fixed keys and nonces, so an independent
 * implementation can check itself against ours. Run `npx tsx shared/crypto/test-vectors/generate.ts`
 * after a deliberate format change; the tests fail if the committed file and the code disagree.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeBase45, encodeBase45 } from '../base45';
import { concatBytes, toBase64Url, utf8 } from '../bytes';
import { privateKeyObject, publicKeyFromSeed, signWith } from '../ed25519';
import type { EventKey, SigningKeyPair } from '../keys';
import { issueTicketToken, type TicketClaims, type TokenRejectionReason } from '../ticket-token';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const fill = (byte: number, length: number) => new Uint8Array(length).fill(byte);

function signingKey(keyId: number, seedByte: number): SigningKeyPair {
  const privateKey = fill(seedByte, 32);
  return { keyId, privateKey, publicKey: publicKeyFromSeed(privateKey) };
}

export const EVENT_A = '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f';
export const EVENT_B = '0190c3a4-7b2e-7cc1-9d3e-000000000b0b';
const key1 = signingKey(1, 0x11);
const key2 = signingKey(2, 0x22);
const rogue = signingKey(1, 0x99); // claims key id 1 but is not the trusted key 1
const eventKeyA: EventKey = { eventId: EVENT_A, keyVersion: 1, key: hex('a0'.repeat(32)) };
const eventKeyB: EventKey = { eventId: EVENT_B, keyVersion: 1, key: hex('b0'.repeat(32)) };
const NOW = Date.UTC(2026, 5, 1, 18, 0, 0);

interface ValidVector {
  name: string;
  token: string;
  nonce: string;
  signingKeyId: number;
  eventKeyVersion: number;
  now: number;
  claims: TicketClaims;
  digest: string;
}
interface FailVector {
  name: string;
  token: string;
  now: number;
  reason: TokenRejectionReason;
  detail: string;
  /** Verify with only these trusted key ids (default: all trusted keys of the file). */
  trustedKeyIds?: number[];
}

function issue(claims: TicketClaims, nonceByte: number, sk = key1, ek = eventKeyA): string {
  return issueTicketToken(claims, { signingKey: sk, eventKey: ek }, { nonce: fill(nonceByte, 12) });
}

/** Flips the bits of one byte of the decoded token and re-encodes it. */
function tamper(token: string, index: number): string {
  const bytes = decodeBase45(token)!;
  const copy = Uint8Array.from(bytes);
  copy[index < 0 ? copy.length + index : index]! ^= 0xff;
  return encodeBase45(copy);
}

/** Rewrites header byte `index` and signs again with `sk`, so only that field is wrong. */
function resign(token: string, index: number, value: number, sk: SigningKeyPair): string {
  const bytes = Uint8Array.from(decodeBase45(token)!);
  bytes[index] = value;
  const signed = bytes.subarray(0, bytes.length - 64);
  const signature = signWith(
    privateKeyObject(sk.privateKey),
    concatBytes(utf8('gate/ticket-token/v1\0'), signed),
  );
  return encodeBase45(concatBytes(signed, signature));
}

export function buildVectors() {
  const plain: TicketClaims = { eventId: EVENT_A, ticketSerial: 1, ticketTypeNo: 1, generation: 0 };
  const windowed: TicketClaims = {
    eventId: EVENT_A,
    ticketSerial: 4_294_967_295,
    ticketTypeNo: 65_535,
    generation: 7,
    validFrom: Date.UTC(2026, 5, 1, 17, 0, 0),
    validUntil: Date.UTC(2026, 5, 2, 2, 0, 0),
  };
  const untilOnly: TicketClaims = {
    eventId: EVENT_A,
    ticketSerial: 42,
    ticketTypeNo: 3,
    generation: 1,
    validUntil: Date.UTC(2026, 5, 2, 0, 0, 0),
  };
  const rotated: TicketClaims = { eventId: EVENT_A, ticketSerial: 77, ticketTypeNo: 2, generation: 0 };
  const validInputs: Array<[string, TicketClaims, number, SigningKeyPair]> = [
    ['minimal claims, key 1', plain, 0x01, key1],
    ['full validity window, largest serial and type', windowed, 0x02, key1],
    ['valid-until only', untilOnly, 0x03, key1],
    ['signed with rotated key 2', rotated, 0x04, key2],
  ];
  const valid: ValidVector[] = validInputs.map(([name, claims, nonceByte, sk]) => {
    const token = issue(claims, nonceByte, sk);
    return {
      name,
      token,
      nonce: toBase64Url(fill(nonceByte, 12)),
      signingKeyId: sk.keyId,
      eventKeyVersion: 1,
      now: NOW,
      claims,
      digest: '',
    };
  });

  const base = valid[0]!.token;
  const full = valid[1]!.token;
  const length = decodeBase45(base)!.length;
  const fail: FailVector[] = [
    {
      name: 'tampered header byte (event tag)',
      token: tamper(base, 3),
      now: NOW,
      reason: 'INVALID',
      detail: 'signature',
    },
    {
      name: 'tampered nonce byte',
      token: tamper(base, 10),
      now: NOW,
      reason: 'INVALID',
      detail: 'signature',
    },
    {
      name: 'tampered ciphertext byte',
      token: tamper(base, 20),
      now: NOW,
      reason: 'INVALID',
      detail: 'signature',
    },
    {
      name: 'tampered AEAD tag byte',
      token: tamper(base, length - 65),
      now: NOW,
      reason: 'INVALID',
      detail: 'signature',
    },
    {
      name: 'tampered signature byte',
      token: tamper(base, -1),
      now: NOW,
      reason: 'INVALID',
      detail: 'signature',
    },
    {
      name: 'truncated by one character',
      token: base.slice(0, -1),
      now: NOW,
      reason: 'INVALID',
      detail: 'encoding',
    },
    {
      name: 'truncated by one byte (three characters)',
      token: base.slice(0, -3),
      now: NOW,
      reason: 'INVALID',
      detail: 'length',
    },
    {
      name: 'halves swapped (re-ordered)',
      token: base.slice(81) + base.slice(0, 81),
      now: NOW,
      reason: 'INVALID',
      detail: 'version',
    },
    {
      name: 'signed by a key that is not the trusted key 1',
      token: issue(plain, 0x05, rogue),
      now: NOW,
      reason: 'INVALID',
      detail: 'signature',
    },
    {
      name: 'ticket of another event',
      token: issue({ ...plain, eventId: EVENT_B }, 0x06, key1, eventKeyB),
      now: NOW,
      reason: 'WRONG_EVENT',
      detail: 'unknown-event',
    },
    { name: 'expired', token: full, now: Date.UTC(2026, 5, 2, 2, 0, 0), reason: 'EXPIRED', detail: 'window' },
    {
      name: 'not yet valid',
      token: full,
      now: Date.UTC(2026, 5, 1, 16, 59, 59),
      reason: 'NOT_YET_VALID',
      detail: 'window',
    },
    {
      name: 'unknown signing key id',
      token: issue(plain, 0x07, signingKey(9, 0x33)),
      now: NOW,
      reason: 'UNKNOWN_KEY',
      detail: 'signing-key',
    },
    {
      name: 'withdrawn key 1 (only key 2 trusted)',
      token: base,
      now: NOW,
      reason: 'UNKNOWN_KEY',
      detail: 'signing-key',
      trustedKeyIds: [2],
    },
    {
      name: 'wrong version, validly re-signed',
      token: resign(base, 0, 2, key1),
      now: NOW,
      reason: 'INVALID',
      detail: 'version',
    },
    {
      name: 'unknown event key version, validly re-signed',
      token: resign(base, 6, 9, key1),
      now: NOW,
      reason: 'WRONG_EVENT',
      detail: 'unknown-event',
    },
    { name: 'lower-case text', token: base.toLowerCase(), now: NOW, reason: 'INVALID', detail: 'encoding' },
    { name: 'empty string', token: '', now: NOW, reason: 'INVALID', detail: 'length' },
    { name: 'longer than any token', token: `${full}000`, now: NOW, reason: 'INVALID', detail: 'too-long' },
    {
      name: 'base45 group overflow',
      token: `${base.slice(0, -3)}:::`,
      now: NOW,
      reason: 'INVALID',
      detail: 'encoding',
    },
  ];
  return {
    description:
      'Ticket token v1 test vectors. Keys are fixed test values (hex); never use them in production. Tokens are base45 (RFC 9285).',
    signingKeys: [key1, key2].map((k) => ({
      keyId: k.keyId,
      privateKeyHex: Buffer.from(k.privateKey).toString('hex'),
      publicKeyHex: Buffer.from(k.publicKey).toString('hex'),
    })),
    eventKeys: [eventKeyA].map((k) => ({
      eventId: k.eventId,
      keyVersion: k.keyVersion,
      keyHex: Buffer.from(k.key).toString('hex'),
    })),
    valid,
    fail,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const vectors = buildVectors();
  // Digests are filled from the tokens so the file is self-describing for other implementations.
  const { ticketTokenDigest } = await import('../ticket-token');
  for (const v of vectors.valid) v.digest = ticketTokenDigest(v.token)!;
  const target = fileURLToPath(new URL('./tokens.json', import.meta.url));
  writeFileSync(target, `${JSON.stringify(vectors, null, 2)}\n`);
  console.log(
    `wrote ${vectors.valid.length} valid and ${vectors.fail.length} must-fail vectors to ${target}`,
  );
}
