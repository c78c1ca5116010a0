/** The one normalisation of scanned text: what a wedge adds is stripped, what a token can hold is kept. */
import { describe, expect, it } from 'vitest';
import { normaliseScannedText } from './scanned-text';

describe('normaliseScannedText', () => {
  it.each([
    ['a clean token', 'NCF 9$3%A', 'NCF 9$3%A'],
    ['CR LF a wedge sends after the code', 'NCF9\r\n', 'NCF9'],
    ['TAB and NUL at either end', '\t\0NCF9\0\t', 'NCF9'],
    ['spaces at the ends: base45 digits, kept', ' NCF9 ', ' NCF9 '],
    ['control characters inside: not a token, left for the decoder to refuse', 'NC\r\nF9', 'NC\r\nF9'],
    ['caps lock inverted the case', 'ncf 9$3%a', 'NCF 9$3%A'],
    ['mixed case: lower-case letters mean caps lock', 'nCF9', 'NCF9'],
    ['nothing but wedge noise', '\r\n', ''],
  ])('%s', (_name, scanned, expected) => {
    expect(normaliseScannedText(scanned)).toBe(expected);
  });
});
