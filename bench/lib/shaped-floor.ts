/**
 * The bare write an accepted scan cannot do without, for the gate decision's floor: one scan row and one
 * admission record, shaped exactly like the store's (`scans` and `admission_log` copied with their
 * indexes from the store's own schema, so each commit dirties the same kinds of pages), written with
 * prepared statements and precomputed values in one transaction of the same file with the same pragmas.
 * No reads, no decision: what is left when everything the code adds is taken away.
 */
import type Database from 'better-sqlite3';

/** The tables an accepted decision writes, in the order it writes them. */
const SHAPED_TABLES = ['scans', 'admission_log'] as const;
const PREFIX = 'bench_floor_';

type Row = Record<string, unknown>;

/** Creates the copies (empty) from sqlite_master: the table and every index of it, renamed. */
function copySchema(sqlite: Database.Database, table: string): void {
  const entries = sqlite
    .prepare<[string], { type: string; name: string; sql: string | null }>(
      'SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? ORDER BY type DESC',
    )
    .all(table);
  for (const { name, sql } of entries) {
    if (!sql) continue; // automatic indexes (a composite primary key's) come with the table
    const renamed = sql
      .replace(new RegExp(`\`${table}\``, 'g'), `\`${PREFIX}${table}\``)
      .replace(new RegExp(`\`${name}\``, 'g'), `\`${PREFIX}${name}\``)
      .replace(/^CREATE (UNIQUE )?(TABLE|INDEX) /, 'CREATE $1$2 IF NOT EXISTS ');
    sqlite.exec(renamed);
  }
}

function insertInto(sqlite: Database.Database, table: string, template: Row) {
  const columns = Object.keys(template);
  return sqlite.prepare(
    `INSERT INTO ${PREFIX}${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
  );
}

/**
 * Prepares the bare write after at least one accepted scan has been recorded (its rows are the
 * templates); returns a function that writes the i-th pair in one FULL-synchronous transaction.
 */
export function prepareShapedInsert(sqlite: Database.Database): (i: number) => void {
  for (const table of SHAPED_TABLES) copySchema(sqlite, table);
  const scan = sqlite
    .prepare<[], Row>("SELECT * FROM scans WHERE decision = 'accept' ORDER BY seq DESC LIMIT 1")
    .get();
  const admission = sqlite.prepare<[], Row>('SELECT * FROM admission_log ORDER BY rowid DESC LIMIT 1').get();
  if (!scan || !admission) throw new Error('the shaped floor needs one accepted scan as its template');
  const insertScan = insertInto(sqlite, 'scans', scan);
  const insertAdmission = insertInto(sqlite, 'admission_log', admission);
  const serial = Number(admission.serial);
  const write = sqlite.transaction((i: number) => {
    // New keys every time, the rest as the template: the same row sizes, the same index positions.
    insertScan.run({ ...scan, seq: i + 1, admission_seq: i + 1 });
    insertAdmission.run({ ...admission, origin_seq: i + 1, serial: serial + (i % 2000), scan_seq: i + 1 });
  });
  return (i) => write(i);
}
