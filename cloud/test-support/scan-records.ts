/**
 * Scan records as a gate uploads them (shared/sync-protocol ScanRecord), for tests that put scans into
 * the cloud through POST /sync/scans: an accepted entry of generation 1 unless the test says otherwise.
 */
import { v7 as uuidv7 } from 'uuid';
import type { ScanRecord } from '../../shared/sync-protocol';

/** What every test names: where and when the scan was, of which ticket. */
type ScanPlace = Pick<ScanRecord, 'seq' | 'gateId' | 'eventId' | 'ticketSerial' | 'scannedAt'>;

/** An accepted entry (a fresh UUIDv7 id, generation 1, clock in step, manifest at 1); `fields` override. */
export function scanRecord(fields: ScanPlace & Partial<ScanRecord>): ScanRecord {
  return {
    id: uuidv7(),
    generation: 1,
    direction: 'in',
    decision: 'accept',
    reason: 'OK',
    detail: null,
    codeHash: 'AAAAAAAAAAAAAAAAAAAAAA',
    clockOffsetMs: 0,
    manifestSeq: 1,
    ...fields,
  };
}
