/**
 * Counts the statements Postgres executed, per client process, from the server's own log: the
 * bench database runs with log_statement = 'all' and the cluster's log_line_prefix names the
 * backend pid and application name (PGAPPNAME of each process). Exact: every statement the server
 * received is one line ("statement:" for the simple protocol, "execute" for the extended one),
 * whatever library sent it; a simple-protocol line holding several statements separated by ';'
 * is counted as that many statements and one round trip.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface LoggedStatement {
  /** Milliseconds since the epoch (the log's %m, millisecond precision). */
  readonly at: number;
  readonly pid: number;
  readonly application: string;
  readonly database: string;
  readonly sql: string;
  /** Statements in this round trip (a simple query may carry several). */
  readonly statements: number;
}

const LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (\w+) \[(\d+)\] (.*?)@(\S*) LOG:\s+(?:statement|execute \S*?):\s([\s\S]*)$/;

/** Splits on ';' outside quotes; empty pieces do not count. */
function countStatements(sql: string): number {
  let count = 0;
  let current = '';
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === ';') {
      if (current.trim()) count++;
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) count++;
  return Math.max(1, count);
}

export class StatementLog {
  private offset: number;

  constructor(private readonly file: string) {
    this.offset = statSync(file).size;
  }

  /** Skips everything logged so far. */
  mark(): void {
    this.offset = statSync(this.file).size;
  }

  /** The statements logged since the last mark/read (of `database` only), and marks. */
  read(database: string): LoggedStatement[] {
    const size = statSync(this.file).size;
    const length = size - this.offset;
    if (length <= 0) return [];
    const buffer = Buffer.alloc(length);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buffer, 0, length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    // A logical line is a prefixed line plus its tab-indented continuation lines.
    const logical: string[] = [];
    for (const line of buffer.toString('utf8').split('\n')) {
      if (/^\d{4}-\d\d-\d\d /.test(line)) logical.push(line);
      else if (logical.length > 0 && (line.startsWith('\t') || line.startsWith(' '))) logical[logical.length - 1] += `\n${line}`;
    }
    return logical.flatMap((text) => {
      const m = LINE.exec(text);
      if (!m || m[5] !== database) return [];
      const sql = m[6]!.trim();
      return [{ at: Date.parse(`${m[1]!.replace(' ', 'T')}Z`), pid: Number(m[3]), application: m[4]!, database: m[5]!, sql, statements: countStatements(sql) }];
    });
  }
}

/** A statement's first words, whitespace collapsed, for a readable list. */
export const abbreviate = (sql: string, length = 110) => {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
};
