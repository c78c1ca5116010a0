/**
 * The promise README.md makes about QR codes: every token is stored in QR alphanumeric mode and fits
 * version 7 at error-correction level M (45×45 modules), whatever its claims.
 */
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { generateEventKey, generateSigningKeyPair } from './keys';
import { issueTicketToken } from './ticket-token';

const EVENT_ID = '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f';

describe('ticket token in a QR code', () => {
  const keys = { signingKey: generateSigningKeyPair(255), eventKey: generateEventKey(EVENT_ID, 255) };
  const longest = issueTicketToken(
    {
      eventId: EVENT_ID,
      ticketSerial: 0xffff_ffff,
      ticketTypeNo: 0xffff,
      generation: 0xffff,
      validFrom: 0,
      validUntil: 4e12,
    },
    keys,
  );
  const shortest = issueTicketToken(
    { eventId: EVENT_ID, ticketSerial: 1, ticketTypeNo: 0, generation: 0 },
    keys,
  );

  it.each([
    ['longest', longest, 174],
    ['shortest', shortest, 162],
  ])(
    'the %s token is %d characters in one alphanumeric segment of a version-7-M QR',
    (_name, token, length) => {
      expect(token.length).toBe(length);
      const qr = QRCode.create(token, { errorCorrectionLevel: 'M' });
      expect(qr.segments.map((s) => s.mode.id)).toEqual(['Alphanumeric']);
      expect(qr.version).toBeLessThanOrEqual(7);
    },
  );
});
