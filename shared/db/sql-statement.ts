/**
 * One parameterised SQL statement: `text` numbers its placeholders `$1..$n` for `values`. Values
 * only ever travel as parameters; `text` is written by this codebase, never built from input.
 */
export interface SqlStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

export const sql = (text: string, values: readonly unknown[] = []): SqlStatement => ({ text, values });

/**
 * One statement that runs `head` and then every statement of `after`, atomically (a single
 * statement is one transaction on its own): `WITH head AS MATERIALIZED (<head>), s1 AS (<after[0]>),
 * ... SELECT * FROM head`. The main query reads `head`, so it runs first; data-modifying WITH
 * statements that the main query does not read are run to completion once it has finished
 * (PostgreSQL's executor), so `after` comes second. `after` statements may read `head` by that name
 * (`... FROM head`) and must be data-modifying (INSERT/UPDATE/DELETE); they share one snapshot, so
 * none sees another's changes: they must touch different rows. Placeholders are renumbered.
 * @throws Error when a statement of `after` is not INSERT, UPDATE or DELETE.
 */
export function composeStatements(head: SqlStatement, after: readonly SqlStatement[]): SqlStatement {
  if (after.length === 0) return head;
  const values: unknown[] = [...head.values];
  const parts = [`head AS MATERIALIZED (${head.text})`];
  after.forEach((statement, i) => {
    if (!/^\s*(INSERT|UPDATE|DELETE)\b/i.test(statement.text)) throw new Error(`composed statement ${i} is not data-modifying: ${statement.text.slice(0, 40)}`);
    const offset = values.length;
    values.push(...statement.values);
    parts.push(`s${i + 1} AS (${renumber(statement.text, offset)})`);
  });
  return { text: `WITH ${parts.join(',\n')}\nSELECT * FROM head`, values };
}

function renumber(text: string, offset: number): string {
  return offset === 0 ? text : text.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`);
}
