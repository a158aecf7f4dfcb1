import { rebuildProjection } from '../../projections/runtime/rebuild';
import { scimProjection } from '../../projections/scim/projection';
import { SCIM_READ_SCHEMA } from '../../projections/scim/tables';
import { inTransaction } from '../../shared/db/pool';
import type { RecordedEvent } from '../../shared/eventstore/port';
import { GROUP_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

const TABLES = ['users', 'groups', 'group_members', 'accounts'] as const;

describe('the SCIM projection', () => {
  let api: ScimApiUnderTest;
  let events: RecordedEvent[];

  beforeAll(async () => {
    api = await startScimApi('scim_projection');
    // A workload that touches every event type.
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await api.scim('post', '/Users', newUser(`p${i}@example.com`, { externalId: `x${i}`, title: `t${i}` }))).body.id);
    await api.scim('patch', `/Users/${ids[0]}`, patchOp({ op: 'replace', path: 'active', value: false }));
    await api.scim('patch', `/Users/${ids[0]}`, patchOp({ op: 'replace', path: 'active', value: true }));
    await api.scim('patch', `/Users/${ids[1]}`, patchOp({ op: 'replace', value: { userName: 'P1-renamed@example.com', title: 'new' } }));
    await api.scim('patch', `/Users/${ids[1]}`, patchOp({ op: 'remove', path: 'title' }));
    const g1 = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'G1', members: ids.slice(0, 4).map((value) => ({ value })) })).body.id;
    const g2 = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'G2', externalId: 'g2' })).body.id;
    await api.scim('patch', `/Groups/${g1}`, patchOp({ op: 'add', path: 'members', value: [{ value: ids[5] }] }));
    await api.scim('patch', `/Groups/${g1}`, patchOp({ op: 'remove', path: `members[value eq "${ids[0]}"]` }));
    await api.scim('put', `/Groups/${g2}`, { schemas: [GROUP_SCHEMA], displayName: 'G2 renamed', externalId: 'g2b', members: ids.slice(4).map((value) => ({ value })) });
    await api.scim('patch', `/Groups/${g2}`, patchOp({ op: 'replace', path: 'members', value: [{ value: ids[6] }, { value: ids[2] }] }));
    await api.scim('delete', `/Users/${ids[2]}`);
    await api.scim('delete', `/Groups/${g1}`);
    events = await api.allEvents();
  }, 60_000);

  afterAll(async () => {
    await api.close();
  });

  async function dump(schema: string): Promise<Record<string, unknown[]>> {
    const result: Record<string, unknown[]> = {};
    for (const table of TABLES) {
      const { rows } = await api.db.pool.query(`SELECT * FROM "${schema}".${table} ORDER BY 1, 2`);
      result[table] = rows;
    }
    return result;
  }

  async function project(schema: string, sequence: readonly RecordedEvent[]): Promise<void> {
    await api.db.pool.query(`CREATE SCHEMA "${schema}"`);
    await api.db.pool.query(scimProjection.createTables(schema));
    await inTransaction(api.db.pool, async (client) => {
      for (const event of sequence) if (scimProjection.canHandle(event)) await scimProjection.evolve(client, event, schema);
    });
  }

  it('covers every event type of the domain', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        'UserProvisioned', 'UserDeactivated', 'UserReactivated', 'UserAttributesChanged', 'UserDeleted',
        'GroupCreated', 'GroupMembersAdded', 'GroupMembersRemoved', 'GroupRenamed', 'GroupExternalIdChanged', 'GroupMembersReplaced', 'GroupDeleted',
      ]),
    );
  });

  it('leaves the same rows when every event is delivered twice', async () => {
    await project('once', events);
    await project('each_twice', events.flatMap((e) => [e, e]));
    await project('history_twice', [...events, ...events]);
    const once = await dump('once');
    expect(await dump('each_twice')).toEqual(once);
    expect(await dump('history_twice')).toEqual(once);
    expect(once.users).toHaveLength(8);
    // G2 kept two members, one of whom was deleted (and so left every group).
    expect(once.group_members).toHaveLength(1);
  });

  it('equals the live read model, row for row', async () => {
    expect(await dump(SCIM_READ_SCHEMA)).toEqual(await dump('once'));
  });

  it('rebuilds from position zero into fresh tables equal to the live ones, and swaps them in', async () => {
    const live = await dump(SCIM_READ_SCHEMA);
    const result = await rebuildProjection({ pool: api.db.pool, store: api.store, projection: scimProjection });
    expect(result.events).toBe(events.length);
    expect(await dump(SCIM_READ_SCHEMA)).toEqual(live);
    // The service keeps answering from the swapped-in tables.
    expect((await api.scim('get', '/Users?filter=' + encodeURIComponent('userName eq "p1-renamed@example.com"'))).body.totalResults).toBe(1);
  });

  it('writes only the rows that differ when a large roster is replaced', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await api.scim('post', '/Users', newUser(`roster${i}@example.com`))).body.id);
    const group = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Roster', members: ids.slice(0, 50).map((value) => ({ value })) })).body.id;
    // A row's xmin is the transaction that wrote it: rows left alone keep theirs.
    const rows = async () =>
      new Map(
        (await api.db.pool.query<{ user_id: string; xmin: string }>(`SELECT user_id, xmin::text FROM "${SCIM_READ_SCHEMA}".group_members WHERE group_id = $1`, [group])).rows.map(
          (r) => [r.user_id, r.xmin],
        ),
      );
    const before = await rows();
    // 45 stay, 5 leave, 10 join.
    const roster = [...ids.slice(5, 50), ...ids.slice(50, 60)];
    await api.scim('patch', `/Groups/${group}`, patchOp({ op: 'replace', path: 'members', value: roster.map((value) => ({ value })) }));
    await api.scim('get', `/Groups/${group}`);
    const after = await rows();
    const left = [...before.keys()].filter((id) => !after.has(id));
    const written = [...after].filter(([id, xmin]) => before.get(id) !== xmin);
    expect(left).toHaveLength(5);
    expect(written).toHaveLength(10);
    expect(after.size).toBe(55);
  });
});
