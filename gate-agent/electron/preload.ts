/**
 * Preload of the scanner window (runs sandboxed, bundled to CommonJS). Exposes a few named functions
 * and nothing else: `window.gateAgent` (what scanner-ui's AgentClient uses inside Electron) and
 * `window.gateSetup` (the first-run form). Raw ipcRenderer never reaches the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { IPC_CHANNELS } from './ipc-channels';

export interface GateAgentBridge {
  scan(code: string, direction?: 'in' | 'out'): Promise<unknown>;
  status(): Promise<unknown>;
  sync(): Promise<unknown>;
}

export interface GateSetupBridge {
  enroll(cloudUrl: string, enrollmentToken: string): Promise<{ ok: true } | { ok: false; message: string }>;
}

const gateAgent = {
  scan: (code: string, direction?: 'in' | 'out') =>
    ipcRenderer.invoke(IPC_CHANNELS.scan, String(code), direction === 'out' ? 'out' : 'in'),
  status: () => ipcRenderer.invoke(IPC_CHANNELS.status),
  sync: () => ipcRenderer.invoke(IPC_CHANNELS.sync),
} satisfies GateAgentBridge;

const gateSetup = {
  enroll: (cloudUrl: string, enrollmentToken: string) =>
    ipcRenderer.invoke(IPC_CHANNELS.enroll, String(cloudUrl), String(enrollmentToken)),
} satisfies GateSetupBridge;

contextBridge.exposeInMainWorld('gateAgent', gateAgent);
contextBridge.exposeInMainWorld('gateSetup', gateSetup);
