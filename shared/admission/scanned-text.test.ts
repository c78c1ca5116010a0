/**
 * The one normalisation of scanned text (gate, /validate, scanner UI): wedge noise off the ends, spaces
 * kept, Caps Lock undone. Moved here from the scanner UI's own `normalizeScannedCode` tests, with the
 * shared semantics (any lower-case letter upper-cases the whole text).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseScannedText } from './scanned-text';

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

describe('normaliseScannedText', () => {
  it('reads lower case (a scanner typing through Caps Lock) as upper case', () => {
    expect(normaliseScannedText('abc-123')).toBe('ABC-123');
  });

  it('upper-cases mixed case too: a token has no lower-case letter, so none can be deliberate', () => {
    expect(normaliseScannedText('AbC-123')).toBe('ABC-123');
  });

  it('leaves base45 text alone, spaces and symbols included', () => {
    expect(normaliseScannedText('12 $%*+-./:')).toBe('12 $%*+-./:');
  });

  it('strips CR, LF, TAB and NUL at the ends, but not in the middle', () => {
    expect(normaliseScannedText('\r\n\tW5AB\0')).toBe('W5AB');
    expect(normaliseScannedText('W5\tAB\r\n')).toBe('W5\tAB');
  });

  it('keeps leading and trailing spaces: a token can begin with the base45 digit space', () => {
    expect(normaliseScannedText(' W5AB ')).toBe(' W5AB ');
    expect(normaliseScannedText('\r\n W5AB\r\n')).toBe(' W5AB');
  });

  it('property: base45 text is its own normal form, and normalising twice changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...BASE45.split('')), { maxLength: 200 }), (chars) => {
        const text = chars.join('');
        expect(normaliseScannedText(text)).toBe(text);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (raw) => {
        const once = normaliseScannedText(raw);
        expect(normaliseScannedText(once)).toBe(once);
        expect(once).not.toMatch(/[a-z]/);
      }),
      { numRuns: 200 },
    );
  });
});

describe('normaliseScannedText, case by case', () => {
  it.each([
    ['a clean token', 'NCF 9$3%A', 'NCF 9$3%A'],
    ['CR LF a wedge sends after the code', 'NCF9\r\n', 'NCF9'],
    ['TAB and NUL at either end', '\t\0NCF9\0\t', 'NCF9'],
    ['control characters inside: not a token, left for the decoder to refuse', 'NC\r\nF9', 'NC\r\nF9'],
    ['caps lock inverted the case', 'ncf 9$3%a', 'NCF 9$3%A'],
    ['nothing but wedge noise', '\r\n', ''],
  ])('%s', (_name, scanned, expected) => {
    expect(normaliseScannedText(scanned)).toBe(expected);
  });
});
