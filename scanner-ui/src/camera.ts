/**
 * Camera input: getUserMedia with a chooser of the station's cameras, frames downscaled on a canvas
 * and decoded with jsQR in a Web Worker (inline when a worker cannot start, e.g. a locked-down file://
 * page), at most one frame in flight. Every failure becomes a state the page can explain in plain
 * words: no camera, permission denied, camera busy, not supported.
 */
import jsQR from 'jsqr';
import type { DecodeRequest, DecodeResponse } from './qr-worker';

export type CameraState =
  | { kind: 'off' }
  | { kind: 'starting' }
  | { kind: 'running'; deviceId: string; label: string }
  | { kind: 'no-camera' }
  | { kind: 'denied' }
  | { kind: 'busy' }
  | { kind: 'unsupported' }
  | { kind: 'error'; message: string };

/** Plain words for a camera state (null: nothing to say). */
export function cameraMessage(state: CameraState): string | null {
  switch (state.kind) {
    case 'off':
      return 'Camera off. Use a hand scanner or type the code.';
    case 'starting':
      return 'Starting camera…';
    case 'running':
      return null;
    case 'no-camera':
      return 'No camera found. Use a hand scanner or type the code.';
    case 'denied':
      return 'Camera permission denied. Allow the camera for this page, or use a hand scanner.';
    case 'busy':
      return 'The camera is in use by another program. Close it and press Start camera.';
    case 'unsupported':
      return 'This browser cannot use a camera here. Use a hand scanner or type the code.';
    case 'error':
      return `Camera failed: ${state.message}`;
  }
}

/** Maps a getUserMedia rejection to a state (DOMException names from the Media Capture spec). */
export function cameraErrorState(error: unknown): CameraState {
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError')
    return { kind: 'denied' };
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError')
    return { kind: 'no-camera' };
  if (name === 'NotReadableError' || name === 'AbortError' || name === 'TrackStartError')
    return { kind: 'busy' };
  return { kind: 'error', message: error instanceof Error ? error.message || name : String(error) };
}

interface FrameDecoder {
  decode(request: DecodeRequest): Promise<string | null>;
  close(): void;
  /** True once the decoder cannot work (a worker that failed to load). */
  readonly failed?: boolean;
}

class WorkerDecoder implements FrameDecoder {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (code: string | null) => void>();
  failed = false;
  constructor(url: string) {
    this.worker = new Worker(url);
    this.worker.onmessage = (event: MessageEvent<DecodeResponse>) => {
      const resolve = this.waiting.get(event.data.id);
      this.waiting.delete(event.data.id);
      resolve?.(event.data.code);
    };
    this.worker.onerror = () => {
      // E.g. a page loaded from file://, where Chromium refuses workers: fall back to inline decoding.
      this.failed = true;
      for (const resolve of this.waiting.values()) resolve(null);
      this.waiting.clear();
    };
  }
  decode(request: DecodeRequest): Promise<string | null> {
    return new Promise((resolve) => {
      this.waiting.set(request.id, resolve);
      this.worker.postMessage(request, [request.pixels]);
    });
  }
  close(): void {
    this.worker.terminate();
  }
}

class InlineDecoder implements FrameDecoder {
  async decode({ pixels, width, height }: DecodeRequest): Promise<string | null> {
    const found = jsQR(new Uint8ClampedArray(pixels), width, height, { inversionAttempts: 'attemptBoth' });
    return found && found.data.length > 0 ? found.data : null;
  }
  close(): void {}
}

export interface CameraScannerOptions {
  video: HTMLVideoElement;
  /** URL of the bundled qr-worker.js; inline decoding when it cannot start. */
  workerUrl: string;
  onCode(code: string, seenAt: number): void;
  onState(state: CameraState): void;
  /** Longer side of the frame handed to the decoder (downscaling makes decoding ~4× faster). */
  maxSide?: number;
  /** Pause between decodes, so a kiosk CPU keeps time for the rest of the page. */
  intervalMs?: number;
}

export class CameraScanner {
  private stream: MediaStream | undefined;
  private decoder: FrameDecoder | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly canvas = document.createElement('canvas');
  private nextId = 1;
  private generation = 0;
  state: CameraState = { kind: 'off' };

  constructor(private readonly options: CameraScannerOptions) {}

  static supported(): boolean {
    return typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
  }

  /** Video inputs; labels are empty until the page has camera permission. */
  async cameras(): Promise<MediaDeviceInfo[]> {
    if (!navigator.mediaDevices?.enumerateDevices) return [];
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.filter((device) => device.kind === 'videoinput');
  }

  async start(deviceId?: string): Promise<void> {
    this.stop();
    const generation = ++this.generation;
    if (!CameraScanner.supported()) return this.setState({ kind: 'unsupported' });
    this.setState({ kind: 'starting' });
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: deviceId
          ? { deviceId: { exact: deviceId }, width: { ideal: 1280 }, height: { ideal: 720 } }
          : { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (error) {
      if (generation !== this.generation) return;
      const state = cameraErrorState(error);
      // A remembered camera that is gone: fall back to whatever camera there is.
      if (deviceId && state.kind === 'no-camera') return this.start(undefined);
      this.setState(state);
      return;
    }
    if (generation !== this.generation) {
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    this.stream = stream;
    const track = stream.getVideoTracks()[0];
    const { video } = this.options;
    video.srcObject = stream;
    video.muted = true;
    video.playsInline = true;
    try {
      await video.play();
    } catch {
      // Autoplay of a muted stream is allowed; if not, frames still arrive for drawImage.
    }
    try {
      this.decoder = new WorkerDecoder(this.options.workerUrl);
    } catch {
      this.decoder = new InlineDecoder();
    }
    this.setState({
      kind: 'running',
      deviceId: track?.getSettings().deviceId ?? deviceId ?? '',
      label: track?.label ?? 'Camera',
    });
    track?.addEventListener('ended', () => {
      if (generation === this.generation) {
        this.stop();
        this.setState({ kind: 'error', message: 'the camera was disconnected' });
      }
    });
    this.loop(generation);
  }

  stop(): void {
    this.generation++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
    this.options.video.srcObject = null;
    this.decoder?.close();
    this.decoder = undefined;
    if (this.state.kind === 'running' || this.state.kind === 'starting') this.setState({ kind: 'off' });
  }

  private setState(state: CameraState): void {
    this.state = state;
    this.options.onState(state);
  }

  private loop(generation: number): void {
    const interval = this.options.intervalMs ?? 80;
    const tick = async () => {
      if (generation !== this.generation) return;
      if (this.decoder?.failed) {
        this.decoder.close();
        this.decoder = new InlineDecoder();
      }
      const frame = this.grab();
      if (frame && this.decoder) {
        const code = await this.decoder.decode(frame);
        if (generation !== this.generation) return;
        if (code) this.options.onCode(code, performance.now());
      }
      this.timer = setTimeout(tick, interval);
    };
    this.timer = setTimeout(tick, 0);
  }

  private grab(): DecodeRequest | undefined {
    const { video } = this.options;
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0) return undefined;
    const maxSide = this.options.maxSide ?? 720;
    const scale = Math.min(1, maxSide / Math.max(video.videoWidth, video.videoHeight));
    const width = Math.max(1, Math.round(video.videoWidth * scale));
    const height = Math.max(1, Math.round(video.videoHeight * scale));
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    const context = this.canvas.getContext('2d', { willReadFrequently: true });
    if (!context) return undefined;
    context.drawImage(video, 0, 0, width, height);
    const pixels = context.getImageData(0, 0, width, height).data.buffer;
    return { id: this.nextId++, width, height, pixels };
  }
}
