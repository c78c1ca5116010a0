/**
 * A strict RFC 4180 reader for tests of the CSV exports: CRLF line ends only, quoted fields with doubled
 * quotes, and a final CRLF after the last row. Anything else throws, so a test that reads an export with
 * it also checks its framing.
 */
export function parseCsv(text: string): string[][] {
  if (!text.endsWith('\r\n')) throw new Error('CSV: the last row must end with CRLF');
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new Error('CSV: unterminated quoted field');
        field += text.slice(i, quote);
        i = quote + 1;
        if (text[i] !== '"') break;
        field += '"';
        i++;
      }
    } else {
      const end = text.slice(i).search(/[,\r\n"]/);
      field = end < 0 ? text.slice(i) : text.slice(i, i + end);
      i += field.length;
      if (text[i] === '"') throw new Error('CSV: a quote inside an unquoted field');
    }
    row.push(field);
    if (text[i] === ',') {
      i++;
    } else if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else {
      throw new Error(`CSV: unexpected ${JSON.stringify(text[i])} at ${i}`);
    }
  }
  return rows;
}

/** The CSV's rows as objects keyed by its header row (every row must have the header's width). */
export function csvRecords(text: string): { header: string[]; records: Record<string, string>[] } {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('CSV: no header row');
  const records = rows.map((row, n) => {
    if (row.length !== header.length) throw new Error(`CSV: row ${n + 1} has ${row.length} fields`);
    return Object.fromEntries(header.map((name, k) => [name, row[k] ?? '']));
  });
  return { header, records };
}
