/**
 * The data directory's key file, `DIR/device.key` (mode 0600): 32 random bytes, the key that wraps the
 * store's secrets at rest (secret-box.ts) — the device's Ed25519 private key, its access token and the
 * event keys. A copy of `gate.sqlite` without this file opens none of them.
 *
 * Headless, the file holds the 32 bytes as they are: it protects the database file when it travels alone
 * (a backup, a file sync, a copy attached to a bug report), not against someone who can read the whole
 * folder as the agent's user. Where the platform has a real secret store (Electron's `safeStorage`:
 * Keychain, DPAPI, libsecret/KWallet), the file's content is itself wrapped by it (`KeyFileProtection`),
 * so a copy of the whole folder is useless away from that user's login too.
 *
 * Formats: exactly 32 bytes = the plain key; `<protection name>:<base64url>\n` = the key as the named
 * protection wrapped it. A plain file is rewritten protected as soon as a protection is available.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { restrictMode } from './file-modes';

export const KEY_FILE_NAME = 'device.key';
const KEY_LENGTH = 32;

/** Wraps the key file's content with a platform secret store (Electron: safeStorage). */
export interface KeyFileProtection {
  /** Written into the file, e.g. "safeStorage"; letters and digits only. */
  readonly name: string;
  /** False where the platform offers no real protection (the file is then written plain). */
  available(): boolean;
  protect(key: Uint8Array): Uint8Array;
  unprotect(stored: Uint8Array): Uint8Array;
}

/** The key file of the data directory holding `storeFile`. */
export function keyFileBeside(storeFile: string): string {
  return join(dirname(storeFile), KEY_FILE_NAME);
}

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

/** Writes `content` to a new temporary file beside `path` (0600), durably; returns its name. */
function writeTemporary(path: string, content: Uint8Array): string {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temporary;
}

function syncDir(path: string): void {
  if (process.platform === 'win32') return;
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Replaces `path` with `content` (0600), durably: the file is whole, old or new, at every moment. */
function replaceDurably(path: string, content: Uint8Array): void {
  renameSync(writeTemporary(path, content), path);
  syncDir(path);
}

/** Creates `path` with `content` (0600), durably; false when it exists already (another process won). */
function createDurably(path: string, content: Uint8Array): boolean {
  const temporary = writeTemporary(path, content);
  try {
    linkSync(temporary, path); // fails if `path` exists: two first starts never make two keys
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
  syncDir(path);
  return true;
}

function encode(key: Uint8Array, protection: KeyFileProtection | undefined): Uint8Array {
  if (!protection?.available()) return key;
  const wrapped = Buffer.from(protection.protect(key)).toString('base64url');
  return Buffer.from(`${protection.name}:${wrapped}\n`, 'utf8');
}

function decode(path: string, content: Buffer, protection: KeyFileProtection | undefined): Uint8Array {
  if (content.length === KEY_LENGTH) return new Uint8Array(content);
  const match = /^([A-Za-z0-9]+):([A-Za-z0-9_-]+)\n?$/.exec(content.toString('latin1'));
  if (!match) throw new KeyFileError(`${path} is not a gate key file (damaged?)`);
  const [, name, wrapped] = match;
  if (!protection || protection.name !== name || !protection.available()) {
    throw new KeyFileError(
      `${path} is protected by ${name}, which is not available here: start the gate as the user (and on the machine) that created it`,
    );
  }
  let key: Uint8Array;
  try {
    key = protection.unprotect(Buffer.from(wrapped!, 'base64url'));
  } catch (cause) {
    throw new KeyFileError(`${path} does not open with ${name}`, { cause });
  }
  if (key.length !== KEY_LENGTH) throw new KeyFileError(`${path} does not hold a ${KEY_LENGTH}-byte key`);
  return key;
}

/** True when `path` exists (the key file of a store that has one). */
export function keyFileExists(path: string): boolean {
  return existsSync(path);
}

/**
 * Reads the key file at `path` (mode put back to 0600 if it was looser), rewriting a plain file
 * protected when `protection` is available. Throws KeyFileError when it cannot be opened here.
 */
export function readKeyFile(path: string, protection?: KeyFileProtection): Uint8Array {
  restrictMode(path, 0o600);
  const content = readFileSync(path);
  const key = decode(path, content, protection);
  if (content.length === KEY_LENGTH && protection?.available()) replaceDurably(path, encode(key, protection));
  return key;
}

/**
 * Creates a new key file at `path` with 32 fresh random bytes and returns the key — or, when another
 * process created it first, reads and returns that one.
 */
export function createKeyFile(path: string, protection?: KeyFileProtection): Uint8Array {
  const key = new Uint8Array(randomBytes(KEY_LENGTH));
  if (!createDurably(path, encode(key, protection))) return readKeyFile(path, protection);
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new KeyFileError(`${path} could not be made private (mode 0600)`);
  }
  return key;
}
