/**
 * The gate app's protection of `device.key` by Electron's safeStorage, checked without an Electron binary
 * (a stand-in safeStorage): it counts as protection only where the OS keeps the secret — never on
 * Linux's `basic_text` fallback, whose password is public — and what it wraps it unwraps.
 */
import { describe, expect, it } from 'vitest';
import { safeStorageProtection } from './key-protection';

function fakeSafeStorage(available: boolean, backend: string) {
  return {
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend as 'basic_text',
    encryptString: (text: string) => Buffer.from(`v10${Buffer.from(text).toString('hex')}`),
    decryptString: (data: Buffer) => Buffer.from(data.toString().slice(3), 'hex').toString(),
  };
}

describe('safeStorage protection of the key file', () => {
  it('is available where the OS keeps the secret, not on Linux without a keyring', () => {
    expect(safeStorageProtection(fakeSafeStorage(true, 'unknown'), 'darwin').available()).toBe(true);
    expect(safeStorageProtection(fakeSafeStorage(true, 'unknown'), 'win32').available()).toBe(true);
    expect(safeStorageProtection(fakeSafeStorage(true, 'gnome_libsecret'), 'linux').available()).toBe(true);
    expect(safeStorageProtection(fakeSafeStorage(true, 'kwallet5'), 'linux').available()).toBe(true);
    expect(safeStorageProtection(fakeSafeStorage(true, 'basic_text'), 'linux').available()).toBe(false);
    expect(safeStorageProtection(fakeSafeStorage(true, 'unknown'), 'linux').available()).toBe(false);
    expect(safeStorageProtection(fakeSafeStorage(false, 'gnome_libsecret'), 'linux').available()).toBe(false);
  });

  it('unwraps what it wrapped, and the wrapped form is not the key', () => {
    const protection = safeStorageProtection(fakeSafeStorage(true, 'gnome_libsecret'), 'linux');
    const key = new Uint8Array(32).map((_, i) => i * 7);
    const wrapped = protection.protect(key);
    expect(Buffer.from(wrapped).includes(Buffer.from(key))).toBe(false);
    expect(protection.unprotect(wrapped)).toEqual(key);
    expect(protection.name).toBe('safeStorage');
  });
});
