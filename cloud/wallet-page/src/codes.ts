/**
 * The rotating code of a claimed ticket at an instant: the fields the gate checks, with the time step by
 * the cloud's clock, signed by this device's key and laid out by shared/crypto/holder-code.ts — the same
 * module the gates parse with, so the page never has its own copy of the layout.
 */
import {
  encodeHolderCode,
  HOLDER_CODE_STEP_SECONDS,
  holderCodeSigningInput,
  holderCodeStep,
  holderEventTag,
} from '../../../shared/crypto/holder-code';
import { signHolderMessage } from './holder-keys';
import type { DeviceKey } from './store';

export interface ShownCode {
  text: string;
  step: number;
}

/** The code `key` shows at cloud time `cloudNowMs`. */
export async function holderCodeAt(key: DeviceKey, cloudNowMs: number): Promise<ShownCode> {
  const step = holderCodeStep(cloudNowMs);
  const fields = {
    eventTag: holderEventTag(key.eventId),
    serial: key.serial,
    generation: key.generation,
    bindingNo: key.bindingNo,
    step,
  };
  const signature = await signHolderMessage(
    key.alg,
    key.privateKey,
    holderCodeSigningInput(key.eventId, fields),
  );
  return { text: encodeHolderCode(fields, signature), step };
}

/** Milliseconds until the next step begins, and the share of the step that is left (1 → 0). */
export function stepRemaining(cloudNowMs: number): { ms: number; fraction: number } {
  const stepMs = HOLDER_CODE_STEP_SECONDS * 1000;
  const ms = stepMs - (((cloudNowMs % stepMs) + stepMs) % stepMs);
  return { ms, fraction: ms / stepMs };
}
