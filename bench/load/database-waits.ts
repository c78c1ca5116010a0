/**
 * What the cloud's database connections were doing during the load: `pg_stat_activity` of the cloud's
 * database sampled every 100 ms, averaged into "backends busy per statement and per what they waited
 * for". A statement waiting on `Lock: transactionid` waits for a row another transaction holds (the
 * event row that numbers changes, the ticket type's `taken`); `running` is on a core or queued for one.
 * It names where the database's part of a request's time goes without any extension (pg_stat_statements
 * is not needed), so every run of `npm run load` can show it.
 */
import pg from 'pg';

export interface DatabaseWait {
  /** The statement, by the function it calls or the table it starts from (`purchase_hold()`, `select tickets`). */
  statement: string;
  /** `running` (on a core or waiting for one), or the wait: `Lock: transactionid`, `LWLock: WALWrite`, … */
  wait: string;
  /** Backends in this state on average over the window (0.5: one backend half of the time). */
  backends: number;
}

export interface DatabaseWaits {
  samples: number;
  /** Backends active on average (the sum of every line). */
  active: number;
  /** The busiest lines first. */
  lines: DatabaseWait[];
}

const SAMPLE_SQL = `
  select wait_event_type, wait_event, query
    from pg_stat_activity
   where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`;

/** A short, stable name for a statement's text (its parameters are placeholders already). */
export function statementName(query: string): string {
  const text = query.replace(/\s+/g, ' ').trim();
  const call = /^select ([a-z_][a-z0-9_]*)\(/i.exec(text);
  if (call) return `${call[1]}()`;
  const cte = /^with ([a-z_][a-z0-9_]*)/i.exec(text);
  if (cte) return `with ${cte[1]} …`;
  const write = /^(insert into|update|delete from) "?([a-z_][a-z0-9_]*)"?/i.exec(text);
  if (write) return `${write[1]?.split(' ')[0]?.toLowerCase()} ${write[2]}`;
  const read = /^select .*? from "?([a-z_][a-z0-9_]*)"?/i.exec(text);
  if (read) return `select ${read[1]}`;
  return text.slice(0, 40);
}

/** Starts sampling the database at `databaseUrl`; `stop()` answers the averages (undefined: no sample). */
export function sampleDatabaseWaits(
  databaseUrl: string,
  everyMs = 100,
): { stop(): Promise<DatabaseWaits | undefined> } {
  const client = new pg.Client({ connectionString: databaseUrl });
  const counts = new Map<string, number>();
  let samples = 0;
  let busy = false;
  let connected = false;
  const ready = client.connect().then(
    () => {
      connected = true;
    },
    () => {},
  );
  client.on('error', () => {});
  const timer = setInterval(() => {
    if (!connected || busy) return;
    busy = true;
    client
      .query<{ wait_event_type: string | null; wait_event: string | null; query: string }>(SAMPLE_SQL)
      .then(
        (result) => {
          samples++;
          for (const row of result.rows) {
            const wait = row.wait_event_type ? `${row.wait_event_type}: ${row.wait_event}` : 'running';
            const key = `${statementName(row.query)}\u0000${wait}`;
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
        },
        () => {},
      )
      .finally(() => {
        busy = false;
      });
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await ready;
      await client.end().catch(() => {});
      if (samples === 0) return undefined;
      const lines = [...counts]
        .map(([key, count]) => {
          const [statement = '', wait = ''] = key.split('\u0000');
          return { statement, wait, backends: count / samples };
        })
        .sort((a, b) => b.backends - a.backends);
      return { samples, active: lines.reduce((sum, line) => sum + line.backends, 0), lines };
    },
  };
}
