/**
 * The scanner station page's entry point (bundled into main.js): builds the station (station.ts) from
 * index.html's elements, the gate agent client (HTTP, or the Electron bridge), the browser's clock and
 * timers, and the verdict sounds, then starts it.
 */
import { createAgentClient } from './agent-client';
import { browserScheduler } from './scheduler';
import { VerdictSounds } from './sound';
import { createStation } from './station';
import { findStationElements } from './station-elements';

/** Local storage, or undefined where the page may not use it (it then throws on access). */
function localStorageOrNothing(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

createStation({
  document,
  window,
  elements: findStationElements(document),
  client: createAgentClient(),
  scheduler: browserScheduler(),
  sounds: new VerdictSounds(),
  storage: localStorageOrNothing(),
}).start();
