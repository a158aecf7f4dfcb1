import { z } from 'zod';

export interface AccountRecord {
  readonly email: string;
  readonly username: string;
  readonly displayName?: string;
}

const record = z.object({
  email: z.string().trim().min(1),
  username: z.string().trim().min(1),
  displayName: z.string().trim().optional(),
});

/** Splits one CSV line (RFC 4180 quoting: "a, b" and "" for a quote). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quote');
  fields.push(field);
  return fields;
}

/** A JSON array of `{ email, username, displayName? }`, or a CSV file with a header naming those columns. */
export function parseAccountFile(text: string, format: 'json' | 'csv'): AccountRecord[] {
  if (format === 'json') {
    const parsed = z.array(record).safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`invalid account file: ${parsed.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
    return parsed.data;
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const [header, ...rows] = lines;
  if (!header) return [];
  const columns = csvFields(header).map((c) => c.trim());
  for (const required of ['email', 'username']) {
    if (!columns.includes(required)) throw new Error(`the CSV header must name a ${required} column`);
  }
  return rows.map((line, i) => {
    const fields = csvFields(line);
    const object = Object.fromEntries(columns.map((c, j) => [c, fields[j] === '' ? undefined : fields[j]]));
    const parsed = record.safeParse(object);
    if (!parsed.success) throw new Error(`line ${i + 2}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    return parsed.data;
  });
}
