/** Scan links (`#scan=CODE`): the code is percent-decoded where it can be, and nothing else is a scan. */
import { describe, expect, it } from 'vitest';
import { codeFromScanLink } from './scan-link';

describe('codeFromScanLink', () => {
  it('decodes the code of a #scan= fragment, spaces and base45 symbols included', () => {
    expect(codeFromScanLink(`#scan=${encodeURIComponent(' W5$%*+-./:AB')}`)).toBe(' W5$%*+-./:AB');
  });

  it('takes a fragment that is not valid percent-encoding as it stands', () => {
    expect(codeFromScanLink('#scan=W5%ZZ')).toBe('W5%ZZ');
  });

  it('ignores every other fragment', () => {
    expect(codeFromScanLink('')).toBeUndefined();
    expect(codeFromScanLink('#scan=')).toBeUndefined();
    expect(codeFromScanLink('#other=W5AB')).toBeUndefined();
  });
});
