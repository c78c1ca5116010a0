/**
 * QR decoding off the main thread: jsQR on a downscaled grey-enough RGBA frame takes tens of
 * milliseconds, which would otherwise delay keyboard-wedge handling and verdict painting.
 */
import jsQR from 'jsqr';

export interface DecodeRequest {
  id: number;
  width: number;
  height: number;
  pixels: ArrayBuffer;
}
export interface DecodeResponse {
  id: number;
  code: string | null;
  ms: number;
}

// Typed as a minimal worker scope so this file type-checks with the DOM lib.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<DecodeRequest>) => void) | null;
  postMessage(message: DecodeResponse): void;
};

scope.onmessage = (event) => {
  const { id, width, height, pixels } = event.data;
  const started = performance.now();
  let code: string | null = null;
  try {
    const found = jsQR(new Uint8ClampedArray(pixels), width, height, { inversionAttempts: 'attemptBoth' });
    // Ticket tokens are text; an empty decode is noise.
    code = found && found.data.length > 0 ? found.data : null;
  } catch {
    code = null;
  }
  scope.postMessage({ id, code, ms: performance.now() - started });
};
