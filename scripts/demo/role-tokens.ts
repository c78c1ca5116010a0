/**
 * Ready user tokens for each role of the demo tenant, so a newcomer can call the API (curl, /docs "try
 * it") without an identity provider: one file per role under DIR/tokens, readable by this user only, each
 * valid 12 hours and made anew at every `npm start`. Development only — the tokens are signed with the
 * development secret; nothing prints a token or the secret.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoApi, DemoRole } from './api';

/** Who each role's token speaks for: the demo's own users (the customer is the one who bought the demo tickets). */
export const DEMO_USERS: Readonly<Record<DemoRole, string>> = {
  admin: 'demo-admin',
  venue_staff: 'demo-staff',
  customer: 'demo-customer',
  ops: 'demo-ops',
};

const TOKEN_TTL_SECONDS = 12 * 3600;

/** Writes DIR/tokens/<role>.txt for every role (0600, in a 0700 folder); returns the folder. */
export async function writeRoleTokens(api: DemoApi, dataRoot: string): Promise<string> {
  const folder = join(dataRoot, 'tokens');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  for (const [role, user] of Object.entries(DEMO_USERS) as Array<[DemoRole, string]>) {
    const file = join(folder, `${role}.txt`);
    writeFileSync(file, `${await api.token(role, user, TOKEN_TTL_SECONDS)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return folder;
}
