import { describe, expect, it } from 'vitest';
import type { AgentStatus, GateAgentBridge, ScanResult } from './agent-api';
import {
  AgentError,
  BridgeAgentClient,
  createAgentClient,
  HttpAgentClient,
  parseScanResult,
  parseUndoAnswer,
} from './agent-client';

const OK: ScanResult = { decision: 'accept', reason: 'OK', scannedAt: 1, latencyMs: 0.2 };
const STATUS: AgentStatus = {
  deviceId: 'd',
  gate: { id: 'g', name: 'G' },
  online: true,
  lastSyncAt: null,
  pendingUploads: 0,
  counters: { accepted: 0, rejected: 0 },
  events: [],
};

describe('parseScanResult', () => {
  it('passes a well-formed answer', () => {
    expect(parseScanResult(OK)).toEqual(OK);
  });

  it.each([
    ['null', null],
    ['unknown decision', { ...OK, decision: 'maybe' }],
    ['unknown reason', { ...OK, reason: 'FINE' }],
    ['accept with a refusal reason', { ...OK, reason: 'REVOKED' }],
    ['reject with an OK reason', { ...OK, decision: 'reject' }],
  ])('refuses %s: a broken agent cannot paint ACCEPT', (_, answer) => {
    expect(() => parseScanResult(answer)).toThrow(AgentError);
  });
});

describe('createAgentClient', () => {
  it('uses the Electron bridge when there is one, HTTP otherwise', async () => {
    const calls: string[] = [];
    const bridge = {
      scan: async (code: string, direction: 'in' | 'out') => {
        calls.push(`${code}/${direction}`);
        return OK;
      },
      undo: async () => ({ refusal: 'ADMISSION_NOT_FOUND' as const, message: 'none' }),
      status: async () => STATUS,
      sync: async () => STATUS,
    } satisfies GateAgentBridge;
    const client = createAgentClient({ gateAgent: bridge });
    expect(client).toBeInstanceOf(BridgeAgentClient);
    expect(await client.scan('X', 'out')).toEqual(OK);
    expect(calls).toEqual(['X/out']);
    expect(createAgentClient({})).toBeInstanceOf(HttpAgentClient);
  });

  it('a bridge that throws is UNREACHABLE', async () => {
    const client = new BridgeAgentClient({
      scan: () => Promise.reject(new Error('ipc closed')),
      undo: () => Promise.reject(new Error('ipc closed')),
      status: async () => STATUS,
      sync: async () => STATUS,
    });
    await expect(client.scan('X', 'in')).rejects.toMatchObject({ name: 'AgentError', code: 'UNREACHABLE' });
    await expect(client.undo(3)).rejects.toMatchObject({ name: 'AgentError', code: 'UNREACHABLE' });
  });
});

describe('parseUndoAnswer', () => {
  it('reads a done undo, a refusal in either form, and nothing else', () => {
    const done = {
      undone: { origin: 'd', originSeq: 1, direction: 'in', at: 1 },
      undo: { origin: 'd', originSeq: 2, at: 2 },
      ticket: { eventId: 'e', serial: 7, generation: 0 },
      seq: 9,
    };
    expect(parseUndoAnswer(done)).toEqual(done);
    expect(parseUndoAnswer({ error: { code: 'UNDO_WINDOW_PASSED', message: 'late' } })).toEqual({
      refusal: 'UNDO_WINDOW_PASSED',
      message: 'late',
    });
    expect(parseUndoAnswer({ refusal: 'ADMISSION_NOT_LATEST', message: 'moved' })).toMatchObject({
      refusal: 'ADMISSION_NOT_LATEST',
    });
    expect(() => parseUndoAnswer({ error: { code: 'INTERNAL', message: 'x' } })).toThrow(/unknown shape/);
    expect(() => parseUndoAnswer({ undone: { direction: 'sideways' } })).toThrow(/unknown shape/);
  });
});
