/**
 * The reference peer of the POST benchmark: a Node SCIM 2.0 server built the way the SCIMMY
 * project documents it (SCIMMY resources + scimmy-routers on express), with a minimal in-memory
 * store: users in a Map, userName unique (case-insensitive, 409 uniqueness otherwise). It does
 * what an in-memory SCIM server must per request (parse, validate against the schema, check
 * uniqueness, store, render) and nothing durable.
 *
 *   PORT=8090 SCIM_TOKEN=... node --import tsx bench/peers/scimmy-peer.ts
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

type Stored = Record<string, unknown> & { id: string; userName: string };

const token = process.env.SCIM_TOKEN ?? '';
const users = new Map<string, Stored>();
const byUserName = new Map<string, string>();

SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false))
  .ingress((resource, instance) => {
    const data = JSON.parse(JSON.stringify(instance)) as Stored;
    const key = String(data.userName).toLowerCase();
    const holder = byUserName.get(key);
    if (holder !== undefined && holder !== resource.id) throw new SCIMMY.Types.Error(409, 'uniqueness', `userName ${data.userName} is already taken`);
    const now = new Date().toISOString();
    const previous = resource.id ? users.get(resource.id) : undefined;
    if (resource.id && !previous) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
    const id = resource.id ?? randomUUID();
    if (previous) byUserName.delete(String(previous.userName).toLowerCase());
    const stored: Stored = { ...data, id, meta: { resourceType: 'User', created: (previous?.meta as { created?: string } | undefined)?.created ?? now, lastModified: now } };
    users.set(id, stored);
    byUserName.set(key, id);
    return stored;
  })
  .egress((resource) => {
    if (resource.id) {
      const user = users.get(resource.id);
      if (!user) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
      return user;
    }
    const all = [...users.values()];
    return resource.filter ? resource.filter.match(all) : all;
  })
  .degress((resource) => {
    const user = resource.id ? users.get(resource.id) : undefined;
    if (!user) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
    users.delete(user.id);
    byUserName.delete(String(user.userName).toLowerCase());
  });

const app = express();
app.use(
  '/scim/v2',
  new SCIMMYRouters({
    type: 'bearer',
    docUri: 'https://example.com/bench',
    handler: (request) => {
      if (request.header('Authorization') !== `Bearer ${token}`) throw new Error('Authorization failed');
      return 'bench';
    },
  }),
);
const server = app.listen(Number(process.env.PORT ?? 8090), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
