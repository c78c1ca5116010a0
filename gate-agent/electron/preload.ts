/**
 * Preload of the scanner window (runs sandboxed, bundled to CommonJS). Exposes a few named functions
 * and nothing else: `window.gateAgent` (what scanner-ui's AgentClient uses inside Electron) and
 * `window.gateSetup` (the first-run form). Raw ipcRenderer never reaches the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { AgentStatus, GateAgentBridge, ScanResult, UndoAnswer } from '../../scanner-ui/src/agent-api';
import { IPC_CHANNELS } from './ipc-channels';

export interface GateSetupBridge {
  enroll(cloudUrl: string, enrollmentToken: string): Promise<{ ok: true } | { ok: false; message: string }>;
}

// The renderer's AgentClient checks every answer, so the bridge only forwards (typed as the renderer expects).
const gateAgent = {
  scan: (code: string, direction: 'in' | 'out') =>
    ipcRenderer.invoke(
      IPC_CHANNELS.scan,
      String(code),
      direction === 'out' ? 'out' : 'in',
    ) as Promise<ScanResult>,
  undo: (seq: number) => ipcRenderer.invoke(IPC_CHANNELS.undo, Number(seq)) as Promise<UndoAnswer>,
  status: () => ipcRenderer.invoke(IPC_CHANNELS.status) as Promise<AgentStatus>,
  sync: () => ipcRenderer.invoke(IPC_CHANNELS.sync) as Promise<AgentStatus>,
} satisfies GateAgentBridge;

const gateSetup = {
  enroll: (cloudUrl: string, enrollmentToken: string) =>
    ipcRenderer.invoke(IPC_CHANNELS.enroll, String(cloudUrl), String(enrollmentToken)),
} satisfies GateSetupBridge;

contextBridge.exposeInMainWorld('gateAgent', gateAgent);
contextBridge.exposeInMainWorld('gateSetup', gateSetup);
