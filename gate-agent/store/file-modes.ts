/**
 * Who may read the gate's data directory: its user only. The folder is 0700 and every file in it 0600 —
 * `gate.sqlite`, its `-wal` and `-shm`, `device.key` — whatever the process's umask, and a looser mode
 * left by an older version or a copy is tightened at every open. (SQLite creates `-wal` and `-shm` with
 * the database file's own mode, so creating that file 0600 first covers them; they are checked anyway.)
 * On Windows, modes do not apply: the user profile's ACLs protect the folder.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

const SKIP = process.platform === 'win32';

/** Sets `path`'s permission bits to `mode` when it exists and they differ. */
export function restrictMode(path: string, mode: number): void {
  if (SKIP || !existsSync(path)) return;
  if ((statSync(path).mode & 0o7777) !== mode) chmodSync(path, mode);
}

/**
 * Creates the data directory (0700) or tightens an existing one to 0700. Refuses a shared folder (the
 * sticky bit: /tmp and the like), which is no place for a device's credentials and must not be chmodded.
 */
export function prepareDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (SKIP) return;
  if ((statSync(dir).mode & 0o1000) !== 0) {
    throw new Error(
      `${dir} is a shared folder (sticky bit): give the gate agent a data directory of its own`,
    );
  }
  restrictMode(dir, 0o700);
}

/** The store file's companions SQLite creates beside it. */
export function storeFiles(storeFile: string): string[] {
  return [storeFile, `${storeFile}-wal`, `${storeFile}-shm`, `${storeFile}-journal`];
}

/** Creates the store file empty and 0600 if it does not exist (SQLite then takes it as a new database). */
export function createPrivateFile(path: string): void {
  if (existsSync(path)) return;
  closeSync(openSync(path, 'a', 0o600));
}

/** Tightens the store file and its companions to 0600. */
export function restrictStoreFiles(storeFile: string): void {
  for (const file of storeFiles(storeFile)) restrictMode(file, 0o600);
}
