// The database sampler against a real PostgreSQL: a statement kept busy on another connection shows up
// under its name with what it waits for, and one waiting for a row lock shows as a lock wait.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../lib/cloud-process';
import { sampleDatabaseWaits } from './database-waits';

const server = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
if (!server && process.env.CI === 'true')
  throw new Error('CI=true but neither TEST_DATABASE_URL nor DATABASE_URL is set: this test must run');

describe.skipIf(!server)('database waits sampler', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const clients: pg.Client[] = [];
  const connect = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    database = await freshDatabase(server!, 'waits');
  });
  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => {});
    await database?.drop();
  });

  it('names a busy statement and a statement waiting for a row lock', async () => {
    const setup = await connect();
    await setup.query('create table seats (id int primary key, taken int not null)');
    await setup.query('insert into seats values (1, 0)');
    const holder = await connect();
    const waiter = await connect();
    const sleeper = await connect();
    await holder.query('begin');
    await holder.query('update seats set taken = taken + 1 where id = 1');
    const sampler = sampleDatabaseWaits(database.url, 20);
    // A statement busy for the whole window, and one queued behind the holder's row lock.
    const sleeping = sleeper.query('select pg_sleep(1.5)');
    const waiting = waiter.query('update "seats" set taken = taken + 1 where id = 1');
    await sleeping;
    const waits = await sampler.stop();
    await holder.query('commit');
    await waiting;

    expect(waits).toBeDefined();
    expect(waits!.samples).toBeGreaterThan(5);
    const line = (statement: string) => waits!.lines.find((l) => l.statement === statement);
    expect(line('pg_sleep()')).toMatchObject({ wait: 'Timeout: PgSleep' });
    expect(line('pg_sleep()')!.backends).toBeGreaterThan(0.5);
    expect(line('update seats')).toMatchObject({ wait: 'Lock: transactionid' });
    expect(line('update seats')!.backends).toBeGreaterThan(0.5);
  }, 30_000);
});
