/**
 * The scanner station: the parts of the page wired together. Every input — keyboard-wedge scanner,
 * camera, manual entry — goes through one scan check to the gate agent and onto the verdict panel; the
 * status bar polls the agent beside it, and the Undo bar offers to take the latest accept back. A `#scan=` link only fills the manual-entry field: a person
 * decides it (scan-link.ts). main.ts builds the station from the page.
 *
 * For diagnostics and tests the page says what the wedge is doing: `<html data-wedge="burst|idle">`
 * while keys are buffered or not, and a `wedge-flush` event (detail: `WedgeFlush`) on `document` each
 * time the idle timer ends a burst — so a test waits for the page instead of guessing its timers.
 */
import type { AgentClient } from './agent-client';
import { CameraPanel } from './camera-panel';
import { DirectionControl } from './direction-control';
import { listenForManualEntry } from './manual-entry';
import { ScanCheck } from './scan-check';
import { listenForScanLinks } from './scan-link';
import type { Scheduler } from './scheduler';
import type { VerdictSounds } from './sound';
import { listenForSoundToggle } from './sound-toggle';
import type { StationElements } from './station-elements';
import { StatusBar } from './status-bar';
import { UndoControl } from './undo-control';
import { VerdictView } from './verdict-view';
import { createWedgeDetector } from './wedge';
import { listenForWedgeKeys, type WedgeFlush, WedgeInput } from './wedge-input';

/** After a verdict, the status bar is refreshed this soon (the counters changed). */
const STATUS_AFTER_SCAN_MS = 150;

export interface StationParts {
  document: Document;
  window: Window;
  elements: StationElements;
  client: AgentClient;
  scheduler: Scheduler;
  sounds: VerdictSounds;
  /** Where the chosen camera and the Entry/Exit choice are remembered (undefined: nowhere). */
  storage: Pick<Storage, 'getItem' | 'setItem'> | undefined;
}

export interface Station {
  /** Clears the verdict, starts polling the status and the camera, and fills in a `#scan=` link's code. */
  start(): void;
}

export function createStation(parts: StationParts): Station {
  const { document, window, elements, scheduler, sounds } = parts;
  const settings = new URLSearchParams(window.location.search);
  const verdict = new VerdictView(elements.verdict, { scheduler, sounds });
  const status = new StatusBar(elements.status, parts.client, scheduler, document);
  const direction = new DirectionControl(elements.direction, parts.storage);
  const undo = new UndoControl(elements.undo, {
    scheduler,
    undo: (seq) => parts.client.undo(seq),
    onUndone() {
      // The ACCEPT on screen no longer stands, and the admitted count just went down.
      verdict.clear();
      status.refreshAfter(STATUS_AFTER_SCAN_MS);
    },
  });
  const scans = new ScanCheck({
    client: parts.client,
    direction: () => direction.current(),
    ownGateId: () => status.gateId,
    timeZone: () => status.venueTimeZone,
    passage: () => status.passage,
    show: (shown) => verdict.show(shown),
    afterVerdict: () => status.refreshAfter(STATUS_AFTER_SCAN_MS),
    onAnswer: (result, scanned) => undo.scanned(result, scanned),
  });
  const camera = new CameraPanel(elements.camera, {
    workerUrl: 'qr-worker.js',
    storage: parts.storage,
    onCode: (code, seenAt) => void scans.check(code, 'camera', seenAt),
  });
  const wedge = new WedgeInput({
    detector: createWedgeDetector(window.location.search),
    scheduler,
    onScan: (scan) => void scans.check(scan.code, 'wedge', scan.lastKeyAt),
    onState: (state) => {
      document.documentElement.dataset['wedge'] = state;
    },
    onFlush: (flush) => document.dispatchEvent(new CustomEvent<WedgeFlush>('wedge-flush', { detail: flush })),
  });

  listenForWedgeKeys(document, window, wedge, {
    onKeyDown: () => sounds.unlock(),
    onEscape: () => {
      verdict.clear();
      undo.dismiss();
    },
  });
  listenForManualEntry(elements.manual, (code, enteredAt) => void scans.check(code, 'manual', enteredAt));
  listenForSoundToggle(elements.soundToggle, sounds);
  document.addEventListener('pointerdown', () => sounds.unlock(), { once: true });

  return {
    start() {
      document.documentElement.dataset['wedge'] = 'idle';
      verdict.clear();
      status.start();
      camera.start(settings.get('camera') !== 'off');
      listenForScanLinks(window, elements.manual);
    },
  };
}
