import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, newUser, SCIM_TOKEN, TOKEN_HMAC_SECRET } from '../helpers/scim-api';
import { killAllServices, spawnService, type OutputLine } from '../helpers/service-process';

const isMsg = (msg: string) => (line: OutputLine) => line.json?.msg === msg;

/**
 * The documented split topology: the API with RUN_PROJECTIONS=false and RUN_PUBLISHER=false, the
 * read models kept by `make projector`. The API writes the scim read model inline, so on a fresh
 * database it waits for the projector to build the read models before it takes a request.
 */
describe('the API beside a projector of its own (RUN_PROJECTIONS=false)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('split_topology', { migrate: false });
  });
  afterAll(async () => {
    await killAllServices();
    await db.drop();
  });

  it('waits for the read models on a fresh database, then provisions and reads back', async () => {
    const common = { DATABASE_URL: db.url, TOKEN_HMAC_SECRET, KAFKA_BROKERS: '127.0.0.1:1', EVENT_SOURCE: `/split-${randomUUID().slice(0, 8)}` };
    const api = spawnService('services/scim-api/main.ts', {
      ...common,
      PORT: '0',
      RUN_PROJECTIONS: 'false',
      RUN_PUBLISHER: 'false',
      SCIM_BOOTSTRAP_TOKEN: SCIM_TOKEN,
      ADMIN_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    });
    await api.waitForLine(isMsg('waiting for the projector (make projector) to build the read models'), 60_000, 'the API waiting for the projector');
    const projector = spawnService('services/projector/main.ts', common);
    const listening = await api.waitForLine((l) => isMsg('listening')(l) && l.json!.component === undefined, 60_000, 'the API listening');
    const base = `${String(listening.json!.url)}/scim/v2`;
    const headers = { Authorization: `Bearer ${SCIM_TOKEN}`, 'Content-Type': 'application/scim+json' };
    const created = await fetch(`${base}/Users`, { method: 'POST', headers, body: JSON.stringify(newUser('split@example.com')) });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    const read = await fetch(`${base}/Users/${id}`, { headers });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { userName: string }).userName).toBe('split@example.com');
    api.kill('SIGTERM');
    projector.kill('SIGTERM');
    expect((await api.exited).code).toBe(0);
  });
});
