import { setTimeout as delay } from 'node:timers/promises';
import type { Pool } from 'pg';
import { importAccounts } from '../../services/accounts-cli/import-accounts';
import { createCommandDependencies } from '../../shared/commands/handle-command';
import { StreamChangeFeed } from '../../shared/commands/stream-change-feed';
import { createTransactionalWriter } from '../../shared/commands/stream-writer';
import { createPostgresEventStore, type PostgresEventStore } from '../../shared/eventstore/postgres/postgres-event-store';
import { LinkableAccounts } from '../../shared/uniqueness/account-emails';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe('linkable accounts kept in memory', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let changes: StreamChangeFeed;
  let queries: string[];
  let linkable: LinkableAccounts;

  beforeAll(async () => {
    db = await createTestDatabase('linkable_accounts');
    store = createPostgresEventStore({ pool: db.pool });
    changes = new StreamChangeFeed({ pool: db.pool, store });
    queries = [];
    const counting = Object.assign(Object.create(db.pool) as Pool, {
      query: (text: string, values?: unknown[]) => (queries.push(text), db.pool.query(text, values)),
    }) as Pool;
    linkable = new LinkableAccounts(counting, changes);
    // The feed is up once its LISTEN connection is.
    for (let i = 0; i < 100 && !(await linkable.find('warm-up@example.com').then(() => queries.some((q) => q.includes("scope = 'account.email'") && !q.includes('e.key')))); i++) await delay(20);
  });
  afterAll(async () => {
    await changes.close();
    await store.close();
    await db.drop();
  });

  const register = (email: string) =>
    importAccounts(createCommandDependencies(store, createTransactionalWriter(store)), [{ email, username: email.split('@')[0]! }], { kind: 'import', id: 'spec' }, () => new Date());

  it('answers an email no account has without a query', async () => {
    queries.length = 0;
    expect(await linkable.find('nobody@example.com')).toBeUndefined();
    expect(await linkable.find('NOBODY2@example.com')).toBeUndefined();
    expect(queries).toEqual([]);
  });

  it('finds an account registered elsewhere as soon as its notification is heard, case-insensitively', async () => {
    const { registered } = await register('Fresh@Example.com');
    // Accounts are registered by another process (make import-accounts): this one hears of it
    // when the append's notification arrives, milliseconds later.
    const deadline = Date.now() + 1_000;
    let found: string | undefined;
    while (!(found = await linkable.find('fresh@EXAMPLE.com')) && Date.now() < deadline) await delay(5);
    expect(found).toBe(registered[0]!.accountId);
    // And still after the emails were read again.
    await delay(1_100);
    expect(await linkable.find('FRESH@example.com')).toBe(registered[0]!.accountId);
    queries.length = 0;
    expect(await linkable.find('still-nobody@example.com')).toBeUndefined();
    expect(queries).toEqual([]);
  });
});
