/**
 * The station's elements in index.html, found once and grouped by the part that owns them. A missing
 * id stops the page at start with its name, instead of a part failing on the first scan.
 */
import type { CameraPanelElements } from './camera-panel';
import type { DirectionElements } from './direction-control';
import type { ManualEntryElements } from './manual-entry';
import type { StatusBarElements } from './status-bar';
import type { UndoElements } from './undo-control';
import type { VerdictElements } from './verdict-view';

export interface StationElements {
  status: StatusBarElements;
  verdict: VerdictElements;
  camera: CameraPanelElements;
  manual: ManualEntryElements;
  direction: DirectionElements;
  undo: UndoElements;
  soundToggle: HTMLButtonElement;
}

function finder(document: Document) {
  return <T extends HTMLElement>(id: string): T => {
    const element = document.getElementById(id);
    if (!element) throw new Error(`scanner-ui: #${id} is missing from index.html`);
    return element as T;
  };
}

/** Looks up every element the station uses. */
export function findStationElements(document: Document): StationElements {
  const byId = finder(document);
  const cameraPanel = document.querySelector<HTMLElement>('.camera');
  if (!cameraPanel) throw new Error('scanner-ui: .camera is missing from index.html');
  return {
    status: {
      gateName: byId('gate-name'),
      eventName: byId('event-name'),
      connection: byId('chip-connection'),
      peers: byId('chip-peers'),
      manifest: byId('chip-manifest'),
      pending: byId('chip-pending'),
      accepted: byId('count-accepted'),
      rejected: byId('count-rejected'),
      offlineBanner: byId('offline-banner'),
      syncNow: byId('sync-now'),
      syncResult: byId('sync-result'),
      timeZone: byId('chip-time'),
      clock: byId('chip-clock'),
      occupancy: {
        strip: byId('zones'),
        passage: byId('zone-passage'),
        target: byId('zone-target'),
        others: byId('zone-others'),
        age: byId('zone-age'),
      },
    },
    verdict: {
      panel: byId('verdict'),
      title: byId('verdict-title'),
      headline: byId('verdict-headline'),
      holder: byId('verdict-holder'),
      detail: byId('verdict-detail'),
      ticket: byId('verdict-ticket'),
      note: byId('verdict-note'),
    },
    camera: {
      panel: cameraPanel,
      video: byId('camera-video'),
      message: byId('camera-message'),
      select: byId('camera-select'),
      toggle: byId('camera-toggle'),
    },
    manual: { form: byId('manual-form'), code: byId('manual-code'), hint: byId('manual-hint') },
    direction: {
      choices: [...document.querySelectorAll<HTMLInputElement>('input[name="direction"]')],
      hint: byId('mode-hint'),
    },
    undo: {
      bar: byId('undo'),
      text: byId('undo-text'),
      start: byId('undo-start'),
      keep: byId('undo-keep'),
      confirm: byId('undo-confirm'),
    },
    soundToggle: byId('sound-toggle'),
  };
}
