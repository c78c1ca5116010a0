/**
 * Cost of checking one ticket token, and the Ed25519 choice behind it: Node's built-in (OpenSSL)
 * against @noble/curves, each verifying the same signature, plus the other primitives the gate's
 * decision pipeline is made of. Also reports the token's length and the QR version it needs.
 * Run alone: `npx tsx bench/crypto-verify.ts`; part of `npm run bench`.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import QRCode from 'qrcode';
import { concatBytes, utf8 } from '../shared/crypto/bytes';
import { publicKeyObject, verifyWith } from '../shared/crypto/ed25519';
import {
  generateEventKey,
  generateSigningKeyPair,
  issueTicketToken,
  TicketVerifier,
} from '../shared/crypto/index';
import { timeEach } from './lib/measure';
import type { BenchResult } from './lib/report';
import { decodeBenchTokens, timeTokenPrimitives } from './lib/token-primitives';

const EVENT_ID = '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f';

export async function benchTokenCrypto(options: { quick: boolean }): Promise<BenchResult[]> {
  const iterations = options.quick ? 300 : 5000;
  const signingKey = generateSigningKeyPair(1);
  const eventKey = generateEventKey(EVENT_ID);
  const verifier = new TicketVerifier({ signingKeys: [signingKey], eventKeys: [eventKey] });
  const now = Date.UTC(2026, 5, 1, 18);
  // Distinct tokens so no cache anywhere can flatter the figures.
  const tokens = Array.from({ length: 256 }, (_, i) =>
    issueTicketToken(
      {
        eventId: EVENT_ID,
        ticketSerial: i + 1,
        ticketTypeNo: 1,
        generation: 0,
        validFrom: now - 3_600_000,
        validUntil: now + 3_600_000,
      },
      { signingKey, eventKey },
    ),
  );
  const decoded = decodeBenchTokens(tokens);
  const context = utf8('gate/ticket-token/v1\0');
  const messages = decoded.map((d) => concatBytes(context, d.signedPart));
  const nodeKey = publicKeyObject(signingKey.publicKey);

  const nodeVerify = timeEach((i) => verifyWith(nodeKey, messages[i & 255]!, decoded[i & 255]!.signature), {
    iterations,
  });
  const nobleVerify = timeEach(
    (i) =>
      ed25519.verify(decoded[i & 255]!.signature, messages[i & 255]!, signingKey.publicKey, {
        zip215: false,
      }),
    { iterations: Math.max(50, Math.floor(iterations / 10)) },
  );
  const { decrypt, sha } = timeTokenPrimitives(decoded, { eventId: EVENT_ID, key: eventKey.key }, iterations);
  const full = timeEach((i) => verifier.verify(tokens[i & 255], now), { iterations });
  const open = timeEach((i) => verifier.open(tokens[i & 255]), { iterations });

  const lengths = tokens.map((t) => t.length);
  const qr = QRCode.create(tokens[0]!, { errorCorrectionLevel: 'M' });
  const modes = qr.segments.map((s) => s.mode.id).join('+');

  const floor = nodeVerify.medianUs + decrypt.medianUs;
  return [
    {
      name: 'token verify + decrypt median',
      value: full.medianUs,
      unit: 'µs',
      target: null,
      floor,
      ratio: full.medianUs / floor,
      pass: null,
      note: `p99 ${full.p99Us.toFixed(1)} µs; floor = bare Ed25519 verify + bare ChaCha20-Poly1305 decrypt`,
    },
    {
      name: 'token open (decrypt only) median',
      value: open.medianUs,
      unit: 'µs',
      target: null,
      floor: decrypt.medianUs + sha.medianUs,
      ratio: open.medianUs / (decrypt.medianUs + sha.medianUs),
      pass: null,
      note: 'the gate path for tickets its manifest knows (digest binding instead of signature)',
    },
    { name: 'Ed25519 verify, node:crypto', value: nodeVerify.medianUs, unit: 'µs', target: null, pass: null },
    {
      name: 'Ed25519 verify, @noble/curves',
      value: nobleVerify.medianUs,
      unit: 'µs',
      target: null,
      ratio: nobleVerify.medianUs / nodeVerify.medianUs,
      pass: null,
      note: 'ratio is against node:crypto',
    },
    {
      name: 'ChaCha20-Poly1305 decrypt (17 B)',
      value: decrypt.medianUs,
      unit: 'µs',
      target: null,
      pass: null,
    },
    { name: 'SHA-256 of a token', value: sha.medianUs, unit: 'µs', target: null, pass: null },
    {
      name: 'token length (max)',
      value: Math.max(...lengths),
      unit: 'chars',
      target: '<= 180',
      pass: Math.max(...lengths) <= 180,
      note: `QR version ${qr.version} at error correction M, mode ${modes}`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib/report');
  printTable(await benchTokenCrypto({ quick: process.env.BENCH_QUICK === '1' }));
}
