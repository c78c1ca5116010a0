/**
 * The cloud's PostgreSQL database in a simulated run, handled the way an operator would: created on the
 * server, copied with `CREATE DATABASE … TEMPLATE` (a cold backup, or a restore of one), dropped, and
 * queried over short-lived connections (a copy needs its source without sessions).
 */
import pg from 'pg';

/** The URL of database `name` on the server of `serverUrl`. */
export function databaseUrlOn(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs SQL over one short-lived connection and returns its rows. */
export async function queryOnce<R extends object = Record<string, unknown>>(
  databaseUrl: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as R[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** CREATE DATABASE … TEMPLATE needs the source without sessions; a just-stopped pool may linger. */
export async function copyDatabase(serverUrl: string, from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await queryOnce(serverUrl, `create database ${to} template ${from}`);
      return;
    } catch (error) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Drops database `name` if it exists, ending its sessions. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await queryOnce(serverUrl, `drop database if exists ${name} with (force)`);
}
