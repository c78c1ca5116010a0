/**
 * The gate app's protection of the data directory's key file (gate-agent/store/device-key-file.ts):
 * Electron's `safeStorage` — the macOS Keychain, Windows DPAPI, or libsecret / KWallet on Linux — wraps
 * the key, so the folder copied away from this user's login opens nothing. On Linux without a keyring
 * Chromium falls back to a fixed, publicly known password (`basic_text`): that is no protection, and the
 * file is then kept plain, as headless. A file once protected needs safeStorage at every later start.
 *
 * Pure over the `safeStorage` object it is given (a type-only import of Electron), so it is unit-tested
 * without an Electron binary.
 */
import type { SafeStorage } from 'electron';
import type { KeyFileProtection } from '../store/device-key-file';

/** The backends that do not protect anything (a hard-coded password, or none known). */
const NO_PROTECTION = new Set(['basic_text', 'unknown']);

export function safeStorageProtection(
  safeStorage: Pick<
    SafeStorage,
    'isEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptString' | 'decryptString'
  >,
  platform: NodeJS.Platform = process.platform,
): KeyFileProtection {
  return {
    name: 'safeStorage',
    available() {
      if (!safeStorage.isEncryptionAvailable()) return false;
      return platform !== 'linux' || !NO_PROTECTION.has(safeStorage.getSelectedStorageBackend());
    },
    protect: (key) => safeStorage.encryptString(Buffer.from(key).toString('base64')),
    unprotect: (stored) =>
      new Uint8Array(Buffer.from(safeStorage.decryptString(Buffer.from(stored)), 'base64')),
  };
}
