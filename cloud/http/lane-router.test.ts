// Which lane a connection's first request line picks (the routing itself runs in cloud/tests/scan-lane.test.ts).
import { describe, expect, it } from 'vitest';
import { laneOfRequestLine } from './lane-router';

describe('laneOfRequestLine', () => {
  it('sends online validation to the scan lane, with or without a query string', () => {
    expect(laneOfRequestLine('POST /api/v1/validate HTTP/1.1')).toBe('scan');
    expect(laneOfRequestLine('POST /api/v1/validate?x=1 HTTP/1.1')).toBe('scan');
  });

  it('sends everything else to the general lane: other methods, other paths, near misses, garbage', () => {
    for (const line of [
      'GET /api/v1/validate HTTP/1.1',
      'post /api/v1/validate HTTP/1.1',
      'POST /api/v1/validate/ HTTP/1.1',
      'POST /api/v1/validated HTTP/1.1',
      'POST /api/v1/reservations/1/purchase HTTP/1.1',
      'GET /health/ready HTTP/1.1',
      'POST',
      '',
      '\u0016\u0003\u0001',
    ]) {
      expect(laneOfRequestLine(line), line).toBe('general');
    }
  });
});
