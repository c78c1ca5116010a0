/**
 * The camera panel: starts the station's camera (the one chosen last time, remembered in local
 * storage), fills the camera chooser, explains in plain words why there is no picture, and hands each
 * decoded code on once while it stays in view (recent-codes.ts).
 */
import { CameraScanner, type CameraState, cameraMessage } from './camera';
import { RecentCodes } from './recent-codes';

const CAMERA_STORAGE_KEY = 'scanner-ui.camera';
/** A code must be out of view this long before the camera checks it again. */
const CAMERA_QUIET_MS = 3_000;

export interface CameraPanelElements {
  panel: HTMLElement;
  video: HTMLVideoElement;
  message: HTMLElement;
  select: HTMLSelectElement;
  toggle: HTMLButtonElement;
}

export interface CameraPanelOptions {
  /** URL of the bundled QR decoder worker. */
  workerUrl: string;
  /** Where the chosen camera is remembered; undefined when the page may not store anything. */
  storage: Pick<Storage, 'getItem' | 'setItem'> | undefined;
  /** A code the camera read (not seen in the last 3 s), with when it was seen. */
  onCode(code: string, seenAt: number): void;
}

export class CameraPanel {
  private readonly camera: CameraScanner;
  private readonly recentCodes = new RecentCodes(CAMERA_QUIET_MS);

  constructor(
    private readonly elements: CameraPanelElements,
    private readonly options: CameraPanelOptions,
  ) {
    this.camera = new CameraScanner({
      video: elements.video,
      workerUrl: options.workerUrl,
      onCode: (code, seenAt) => {
        if (this.recentCodes.admit(code, seenAt)) options.onCode(code, seenAt);
      },
      onState: (state) => this.render(state),
    });
    elements.select.addEventListener('change', () => {
      void this.camera.start(elements.select.value || undefined);
      elements.select.blur(); // hand the keyboard back to the hand scanner
    });
    elements.toggle.addEventListener('click', () => {
      if (this.isOn()) this.camera.stop();
      else void this.camera.start(elements.select.value || undefined);
    });
  }

  /** Shows the camera as off, lists the cameras, and starts the remembered one unless `autoStart` is false. */
  start(autoStart: boolean): void {
    this.render({ kind: 'off' });
    const saved = this.savedCamera();
    void this.fillChooser(saved);
    if (autoStart) void this.camera.start(saved);
  }

  private isOn(): boolean {
    return this.camera.state.kind === 'running' || this.camera.state.kind === 'starting';
  }

  private render(state: CameraState): void {
    const { elements } = this;
    elements.panel.dataset['state'] =
      state.kind === 'running' ? 'running' : state.kind === 'starting' ? 'starting' : 'off';
    elements.message.textContent = cameraMessage(state) ?? '';
    elements.toggle.textContent =
      state.kind === 'running' || state.kind === 'starting' ? 'Stop camera' : 'Start camera';
    if (state.kind === 'running') {
      this.saveCamera(state.deviceId);
      void this.fillChooser(state.deviceId);
    }
  }

  private async fillChooser(selected?: string): Promise<void> {
    const cameras = await this.camera.cameras().catch(() => []);
    const options = cameras.map((device, index) => {
      const option = this.elements.select.ownerDocument.createElement('option');
      option.value = device.deviceId;
      option.textContent = device.label || `Camera ${index + 1}`;
      option.selected = device.deviceId === selected;
      return option;
    });
    if (options.length === 0) {
      const none = this.elements.select.ownerDocument.createElement('option');
      none.textContent = 'No camera found';
      none.value = '';
      options.push(none);
    }
    this.elements.select.replaceChildren(...options);
    this.elements.select.disabled = cameras.length < 2;
  }

  private savedCamera(): string | undefined {
    try {
      return this.options.storage?.getItem(CAMERA_STORAGE_KEY) || undefined;
    } catch {
      return undefined;
    }
  }

  private saveCamera(deviceId: string): void {
    try {
      this.options.storage?.setItem(CAMERA_STORAGE_KEY, deviceId);
    } catch {
      // Storage may be disabled; the choice is then not remembered.
    }
  }
}
