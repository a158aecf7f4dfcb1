import { createCommandDependencies } from '../../shared/commands/handle-command';
import { createTransactionalWriter } from '../../shared/commands/stream-writer';
import { parseAccountFile } from '../../services/accounts-cli/account-file';
import { importAccounts } from '../../services/accounts-cli/import-accounts';
import { newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

describe('platform accounts', () => {
  let api: ScimApiUnderTest;
  let accountIds: Map<string, string>;
  beforeAll(async () => {
    api = await startScimApi('platform_accounts');
    const deps = createCommandDependencies(api.store, createTransactionalWriter(api.store));
    const records = parseAccountFile('email,username,displayName\nPat@Example.com,pat,"Pat, the admin"\nlee@example.com,lee,\n', 'csv');
    const outcome = await importAccounts(deps, records, { kind: 'import', id: 'accounts.csv' }, () => new Date());
    accountIds = new Map(outcome.registered.map((r) => [r.email.toLowerCase(), r.accountId]));
  });
  afterAll(async () => {
    await api.close();
  });

  it('registers each account once, with an AccountRegistered event', async () => {
    expect(accountIds.size).toBe(2);
    const events = await api.store.readStream(`account-${accountIds.get('pat@example.com')}`);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['AccountRegistered', { accountId: accountIds.get('pat@example.com'), email: 'Pat@Example.com', username: 'pat', displayName: 'Pat, the admin' }],
    ]);
    const deps = createCommandDependencies(api.store, createTransactionalWriter(api.store));
    const again = await importAccounts(deps, [{ email: 'pat@EXAMPLE.com', username: 'pat2' }], { kind: 'import', id: 'again' }, () => new Date());
    expect(again).toEqual({ registered: [], alreadyRegistered: ['pat@EXAMPLE.com'] });
  });

  it('links a SCIM user whose email matches an account, instead of creating a second one', async () => {
    const res = await api.scim('post', '/Users', { ...newUser('pat.scim@example.com'), emails: [{ value: 'PAT@example.com', primary: true }] });
    expect(res.status).toBe(201);
    const [provisioned] = await api.store.readStream(`user-${res.body.id}`);
    expect(provisioned!.data).toMatchObject({ accountId: accountIds.get('pat@example.com'), linkedExistingAccount: true });
  });

  it("refuses a second SCIM identity with the linked account's email: 409 uniqueness, nothing appended", async () => {
    const before = (await api.allEvents()).length;
    const res = await api.scim('post', '/Users', { ...newUser('pat.other@example.com'), emails: [{ value: 'pat@example.com' }] });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '409',
      scimType: 'uniqueness',
      detail: 'email "pat@example.com" is already taken',
    });
    expect((await api.allEvents()).length).toBe(before);
  });

  it('suspends (never deletes) the linked account when the SCIM user is deleted, and lets it link again', async () => {
    const res = await api.scim('post', '/Users', { ...newUser('lee.scim@example.com'), emails: [{ value: 'lee@example.com' }] });
    expect((await api.scim('delete', `/Users/${res.body.id}`)).status).toBe(204);
    const events = await api.store.readStream(`user-${res.body.id}`);
    expect(events.at(-1)!.data).toEqual({ userId: res.body.id, accountId: accountIds.get('lee@example.com'), reason: 'deleted' });
    expect(await api.store.readStream(`account-${accountIds.get('lee@example.com')}`)).toHaveLength(1);

    const again = await api.scim('post', '/Users', { ...newUser('lee.again@example.com'), emails: [{ value: 'lee@example.com' }] });
    const [provisioned] = await api.store.readStream(`user-${again.body.id}`);
    expect(provisioned!.data).toMatchObject({ accountId: accountIds.get('lee@example.com'), linkedExistingAccount: true });
  });

  it('rejects account files it cannot read, naming the line', () => {
    expect(() => parseAccountFile('email,username\n,nobody\n', 'csv')).toThrow(/line 2/);
    expect(() => parseAccountFile('mail,username\n', 'csv')).toThrow(/email column/);
    expect(() => parseAccountFile('[{"email": "a@b.c"}]', 'json')).toThrow(/username/);
  });
});
