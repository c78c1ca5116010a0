import { describe, expect, it } from 'vitest';
import { type CameraState, cameraErrorState, cameraMessage } from './camera';

function domError(name: string): Error {
  const error = new Error(`${name} happened`);
  error.name = name;
  return error;
}

describe('camera failures in plain words', () => {
  it.each([
    ['NotAllowedError', 'denied', /permission denied/],
    ['SecurityError', 'denied', /permission denied/],
    ['NotFoundError', 'no-camera', /No camera found/],
    ['OverconstrainedError', 'no-camera', /No camera found/],
    ['NotReadableError', 'busy', /in use by another program/],
  ])('%s → %s', (name, kind, words) => {
    const state = cameraErrorState(domError(name));
    expect(state.kind).toBe(kind);
    expect(cameraMessage(state)).toMatch(words);
  });

  it('anything else is reported with its message', () => {
    const state = cameraErrorState(domError('WeirdError'));
    expect(state).toEqual({ kind: 'error', message: 'WeirdError happened' });
  });

  it('a running camera needs no message; every other state has one', () => {
    const states: CameraState[] = [
      { kind: 'off' },
      { kind: 'starting' },
      { kind: 'no-camera' },
      { kind: 'denied' },
      { kind: 'busy' },
      { kind: 'unsupported' },
      { kind: 'error', message: 'x' },
    ];
    for (const state of states) expect(cameraMessage(state)).toBeTruthy();
    expect(cameraMessage({ kind: 'running', deviceId: 'd', label: 'Cam' })).toBeNull();
  });
});
