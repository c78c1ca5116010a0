/**
 * Electron main process of the gate app. Runs the gate agent core in this process (better-sqlite3
 * never touches the renderer), shows the scanner UI in one hardened window, and on first run a setup
 * form for the cloud URL and the enrollment token (typed, or scanned from the enrollment QR with a
 * keyboard-wedge scanner). The agent started here is the same code the tests run headless.
 */
import path from 'node:path';
import { app, BrowserWindow, type IpcMainInvokeEvent, ipcMain, Menu, safeStorage, session } from 'electron';
import { type GateAgent, startGateAgent } from '../agent';
import { IPC_CHANNELS } from './ipc-channels';
import { safeStorageProtection } from './key-protection';
import { hardenContents, hardenSession } from './security';
import { isTrustedSender, secureWebPreferences } from './security-policy';
import { type DesktopSettings, loadDesktopSettings, saveDesktopSettings } from './settings';

const appRoot = app.getAppPath();
const pages = {
  scanner: path.join(appRoot, 'scanner-ui', 'dist', 'index.html'),
  setup: path.join(appRoot, 'gate-agent', 'electron', 'setup', 'index.html'),
};
const allowedPages = [pages.scanner, pages.setup];
const preloadPath = path.join(appRoot, 'dist', 'electron', 'preload.cjs');
const dataDir = path.join(app.getPath('userData'), 'gate');
const settingsFile = path.join(app.getPath('userData'), 'desktop-settings.json');

let agent: GateAgent | undefined;

function agentOptions() {
  return {
    dataDir,
    port: settings.port,
    uiDir: path.join(appRoot, 'scanner-ui', 'dist'),
    // The key file that wraps the device's key and token in the store is itself wrapped by the OS.
    keyProtection: safeStorageProtection(safeStorage),
    ...(settings.peerListen ? { peerListen: settings.peerListen } : {}),
    ...(settings.peerAdvertise ? { peerAdvertise: settings.peerAdvertise } : {}),
    peers: settings.peers,
    ...(settings.staleAfterMinutes ? { staleAfterMinutes: settings.staleAfterMinutes } : {}),
    ...(settings.veryStaleAfterMinutes ? { veryStaleAfterMinutes: settings.veryStaleAfterMinutes } : {}),
  };
}
let mainWindow: BrowserWindow | undefined;
let settings: DesktopSettings;

/** Registers one IPC handler that refuses anything not from our own window and page. */
function handle(channel: string, handler: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void {
  ipcMain.handle(channel, (event, ...args) => {
    if (!isTrustedSender(event, channel, mainWindow?.webContents, allowedPages)) {
      throw new Error('IPC refused: untrusted sender');
    }
    return handler(event, ...args);
  });
}

function requireAgent(): GateAgent {
  if (!agent) throw new Error('the gate agent is not running');
  return agent;
}

function registerIpc(): void {
  handle(IPC_CHANNELS.scan, (_event, code, direction) =>
    requireAgent().scan(typeof code === 'string' ? code : '', direction === 'out' ? 'out' : 'in'),
  );
  // Undo at the station (issue 17): the scan-log seq of an accepted scan, nothing else.
  handle(IPC_CHANNELS.undo, (_event, seq) =>
    requireAgent().undo(typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0 ? seq : 0),
  );
  handle(IPC_CHANNELS.status, () => requireAgent().status());
  handle(IPC_CHANNELS.sync, () => requireAgent().syncNow());
  handle(IPC_CHANNELS.enroll, async (_event, cloudUrl, token) => {
    if (typeof cloudUrl !== 'string' || typeof token !== 'string')
      return { ok: false, message: 'cloud URL and token are required' };
    try {
      const url = new URL(cloudUrl.trim());
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new Error('the cloud URL must be http(s)');
      // Restart the agent with the cloud and the token: it enrolls, stores both, and starts syncing.
      await agent?.close();
      agent = await startGateAgent({
        ...agentOptions(),
        cloudUrl: url.origin,
        enrollmentToken: token.trim(),
      });
      if (!(await agent.status()).deviceId) throw new Error('the cloud could not be reached; try again');
      await mainWindow?.loadFile(pages.scanner);
      return { ok: true };
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : 'enrollment failed' };
    }
  });
}

function buildMenu(): void {
  const toggle = async (key: 'kiosk' | 'openAtLogin', value: boolean) => {
    settings = { ...settings, [key]: value };
    await saveDesktopSettings(settingsFile, settings);
    if (key === 'kiosk') mainWindow?.setKiosk(value);
    if (key === 'openAtLogin') app.setLoginItemSettings({ openAtLogin: value });
    buildMenu();
  };
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      {
        label: 'Gate',
        submenu: [
          { label: 'Sync now', accelerator: 'CmdOrCtrl+R', click: () => void agent?.syncNow() },
          { type: 'separator' },
          {
            label: 'Kiosk mode',
            type: 'checkbox',
            checked: settings.kiosk,
            accelerator: 'CmdOrCtrl+Shift+K',
            click: (item) => void toggle('kiosk', item.checked),
          },
          {
            label: 'Start at login',
            type: 'checkbox',
            checked: settings.openAtLogin,
            click: (item) => void toggle('openAtLogin', item.checked),
          },
          { type: 'separator' },
          { role: 'quit' },
        ],
      },
    ]),
  );
}

async function createWindow(): Promise<void> {
  hardenSession(session.defaultSession);
  mainWindow = new BrowserWindow({
    width: 1024,
    height: 600,
    kiosk: settings.kiosk,
    backgroundColor: '#111111',
    title: 'Gate',
    webPreferences: secureWebPreferences(preloadPath),
  });
  hardenContents(mainWindow.webContents, allowedPages);
  // A stored enrollment is enough: the agent reads cloud URL, gate and keys from its data directory.
  agent = await startGateAgent(agentOptions());
  const enrolled = Boolean((await agent.status()).deviceId);
  await mainWindow.loadFile(enrolled ? pages.scanner : pages.setup);
}

app.on('web-contents-created', (_event, contents) => hardenContents(contents, allowedPages));
app.on('window-all-closed', () => app.quit());
app.on('before-quit', (event) => {
  if (!agent) return;
  // Close the store cleanly (WAL checkpoint, no half-written upload) before the process ends.
  event.preventDefault();
  const closing = agent;
  agent = undefined;
  void closing.close().finally(() => app.quit());
});

if (!app.requestSingleInstanceLock()) {
  // Two agents on one data directory would fight over the SQLite file and the port.
  app.quit();
} else {
  void app.whenReady().then(async () => {
    settings = await loadDesktopSettings(settingsFile);
    registerIpc();
    buildMenu();
    await createWindow();
  });
}
