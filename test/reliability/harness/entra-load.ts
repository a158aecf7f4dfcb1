import { setTimeout as delay } from 'node:timers/promises';
import { ADMIN_TOKEN, ENTERPRISE, ERROR, GROUP_SCHEMA, patchOp, SCIM_TOKEN, USER_SCHEMA } from '../../helpers/scim-api';
import type { ResourceType, WriteLedger } from './ledger';
import { seededPrng, type Prng } from './prng';

/** One request of the load and how it ended. */
export interface Outcome {
  readonly client: number;
  /** What it was: user-create, user-patch, user-disable, user-delete, user-filter, group-create, group-add, group-remove, team-link. */
  readonly kind: string;
  readonly write: boolean;
  readonly sentAt: number;
  readonly doneAt: number;
  /** HTTP status; 0 when no answer came (connection refused or dropped, timeout). */
  readonly status: number;
  readonly retryAfter: string | null;
  /** For a 4xx/5xx: whether the body was a SCIM error (or a JSON:API one for the admin API). */
  readonly errorBody?: boolean;
  /** For status 0: why. */
  readonly failure?: string;
}

export interface EntraLoadOptions {
  readonly base: string;
  readonly ledger: WriteLedger;
  readonly seed: number;
  /** 8, as the issue says. */
  readonly clients?: number;
  /**
   * Each client sends one request per intervalMs at most (a steady rate when the service keeps up;
   * a slower one never queues up behind). 0: back to back.
   */
  readonly intervalMs?: number;
  readonly requestTimeoutMs?: number;
  /** Link one team of the platform to the first group of each client (admin API), so team-sync has members to compare. */
  readonly linkTeams?: boolean;
  /** Makes userNames and displayNames unique per load (several loads on one database). */
  readonly namePrefix?: string;
}

export interface RunningLoad {
  /** Every request so far. */
  readonly outcomes: Outcome[];
  /** Ends the load after each client's request in flight; resolves with every outcome. */
  stop(): Promise<Outcome[]>;
}

interface OwnUser {
  readonly id: string;
  readonly userName: string;
  readonly groups: Set<string>;
}
interface OwnGroup {
  readonly id: string;
  readonly members: Set<string>;
  linked: boolean;
}

/** The pause after a 503 or no answer. */
const BACKOFF_MS = 250;
const SCIM_JSON = 'application/scim+json';
const JSON_API = 'application/vnd.api+json';

/** A random-case spelling: userName matching is case-insensitive (RFC 7643 §4.1.1), Entra sends what its directory has. */
function mixedCase(prng: Prng, text: string): string {
  return [...text].map((c) => (prng.next() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
}

/**
 * Microsoft Entra ID's provisioning traffic (test/e2e/entra-sequence.e2e.test.ts) from `clients`
 * clients at once, each seeded from `seed`: match by `userName eq`, create users with the
 * enterprise extension, PATCH their attributes (Replace with and without a path), disable them
 * (`active` "False", as Entra sends it), delete some that are in no group, create groups and
 * PATCH their members (Add / Remove with a value list). Each client writes only its own
 * resources, so its acknowledgements come in the order the service applied them. Every answer
 * feeds the ledger: a 2xx is acknowledged, a 503 or no answer is unknown.
 */
export function startEntraLoad(options: EntraLoadOptions): RunningLoad {
  const { base, ledger, seed, clients = 8, intervalMs = 0, requestTimeoutMs = 10_000, linkTeams = true, namePrefix = `s${seed}` } = options;
  const outcomes: Outcome[] = [];
  const lastStatus: number[] = [];
  let running = true;

  async function send(client: number, kind: string, write: boolean, method: string, path: string, body?: unknown, admin = false): Promise<{ outcome: Outcome; json?: Record<string, unknown> }> {
    const sentAt = Date.now();
    const headers: Record<string, string> = { Authorization: `Bearer ${admin ? ADMIN_TOKEN : SCIM_TOKEN}` };
    if (body !== undefined) headers['Content-Type'] = admin ? JSON_API : SCIM_JSON;
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const text = await res.text();
      let json: Record<string, unknown> | undefined;
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      const errorBody =
        res.status >= 400
          ? admin
            ? Array.isArray(json?.errors) && (json.errors as { status?: string }[])[0]?.status === String(res.status)
            : Array.isArray(json?.schemas) && (json.schemas as string[]).includes(ERROR) && json.status === String(res.status)
          : undefined;
      const outcome: Outcome = { client, kind, write, sentAt, doneAt: Date.now(), status: res.status, retryAfter: res.headers.get('retry-after'), ...(errorBody !== undefined ? { errorBody } : {}) };
      outcomes.push(outcome);
      lastStatus[client] = outcome.status;
      return { outcome, ...(json ? { json } : {}) };
    } catch (error) {
      const outcome: Outcome = { client, kind, write, sentAt, doneAt: Date.now(), status: 0, retryAfter: null, failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      outcomes.push(outcome);
      lastStatus[client] = 0;
      return { outcome };
    }
  }

  /** Records a write's answer in the ledger; true when it was acknowledged. */
  function record(type: ResourceType, id: string | undefined, operation: string, result: { outcome: Outcome; json?: Record<string, unknown> }): boolean {
    const { status } = result.outcome;
    if (status >= 200 && status < 300) {
      if (status === 204 && id !== undefined) ledger.acknowledgedDelete(type, id);
      else ledger.acknowledged(type, result.json!);
      return true;
    }
    if (status === 0 || status === 503) ledger.unknown({ type, ...(id !== undefined ? { id } : {}), operation, status });
    return false;
  }

  async function runClient(client: number): Promise<void> {
    const prng = seededPrng((seed * 1_000_003 + client) >>> 0);
    const users: OwnUser[] = [];
    const groups: OwnGroup[] = [];
    let created = 0;
    let teamAttempts = 0;
    let next = Date.now();
    while (running) {
      if (intervalMs > 0) {
        next += intervalMs;
        const wait = next - Date.now();
        if (wait > 0) await delay(wait);
        else next = Date.now();
        if (!running) break;
      }
      // A client that got no answer or a 503 backs off before its next request, as Entra's
      // provisioning service does (it retries in a later cycle), instead of hammering a service
      // that is down.
      const last = lastStatus[client];
      if (last === 0 || last === 503) await delay(BACKOFF_MS);
      if (!running) break;
      const roll = prng.next();
      const user = users.length > 0 ? prng.pick(users) : undefined;
      const group = groups.length > 0 ? prng.pick(groups) : undefined;
      if (users.length < 3 || roll < 0.18) {
        const n = ++created;
        const userName = `${namePrefix}-c${client}-u${n}@contoso.com`;
        // Entra matches before it creates.
        await send(client, 'user-filter', false, 'GET', `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${mixedCase(prng, userName)}"`)}`);
        const result = await send(client, 'user-create', true, 'POST', '/scim/v2/Users', {
          schemas: [USER_SCHEMA, ENTERPRISE],
          externalId: `aad-${namePrefix}-${client}-${n}`,
          userName,
          active: true,
          displayName: `User ${client}.${n}`,
          emails: [{ primary: true, type: 'work', value: `${namePrefix}-c${client}-u${n}@contoso.com` }],
          name: { formatted: `User ${client}.${n}`, familyName: `${n}`, givenName: 'User' },
          [ENTERPRISE]: { department: prng.pick(['Navy', 'Research', 'Sales']) },
        });
        if (record('User', undefined, 'create', result)) users.push({ id: result.json!.id as string, userName, groups: new Set() });
      } else if (roll < 0.33 && user) {
        await send(client, 'user-filter', false, 'GET', `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${mixedCase(prng, user.userName)}"`)}`);
      } else if (roll < 0.5 && user) {
        const result = await send(
          client,
          'user-patch',
          true,
          'PATCH',
          `/scim/v2/Users/${user.id}`,
          patchOp(
            { op: 'Replace', path: 'displayName', value: `User ${client} ${prng.int(0, 1_000_000)}` },
            { op: 'Replace', value: { 'name.givenName': `G${prng.int(0, 1000)}`, [`${ENTERPRISE}:department`]: prng.pick(['Navy', 'US Navy', 'Research']) } },
          ),
        );
        record('User', user.id, 'patch', result);
      } else if (roll < 0.58 && user) {
        const result = await send(client, 'user-disable', true, 'PATCH', `/scim/v2/Users/${user.id}`, patchOp({ op: 'Replace', path: 'active', value: prng.next() < 0.8 ? 'False' : 'True' }));
        record('User', user.id, 'disable', result);
      } else if (roll < 0.64 && groups.length < 3) {
        const result = await send(client, 'group-create', true, 'POST', '/scim/v2/Groups', {
          schemas: [GROUP_SCHEMA],
          displayName: `${namePrefix} group ${client}.${groups.length + 1} ${prng.int(0, 1_000_000)}`,
          externalId: `aad-group-${namePrefix}-${client}-${groups.length + 1}`,
          members: [],
        });
        if (record('Group', undefined, 'create', result)) groups.push({ id: result.json!.id as string, members: new Set(), linked: false });
      } else if (roll < 0.68 && linkTeams && groups[0] && !groups[0].linked) {
        groups[0].linked = await linkTeam(client, groups[0].id, `${namePrefix} team ${client}.${++teamAttempts}`);
      } else if (roll < 0.84 && group && user) {
        const result = await send(client, 'group-add', true, 'PATCH', `/scim/v2/Groups/${group.id}`, patchOp({ op: 'Add', path: 'members', value: [{ value: user.id }] }));
        if (record('Group', group.id, 'add members', result)) {
          group.members.add(user.id);
          user.groups.add(group.id);
        } else if (result.outcome.status === 0 || result.outcome.status === 503) {
          // It may have happened: keep the user out of deletions from now on.
          user.groups.add(group.id);
        }
      } else if (roll < 0.94 && group && group.members.size > 0) {
        const member = prng.pick([...group.members]);
        const result = await send(client, 'group-remove', true, 'PATCH', `/scim/v2/Groups/${group.id}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: member }] }));
        if (record('Group', group.id, 'remove members', result)) group.members.delete(member);
      } else {
        const deletable = users.filter((u) => u.groups.size === 0);
        if (deletable.length > 3) {
          const victim = prng.pick(deletable);
          const result = await send(client, 'user-delete', true, 'DELETE', `/scim/v2/Users/${victim.id}`);
          // Acknowledged or not, the client stops using it (a retried delete would be a 404).
          if (record('User', victim.id, 'delete', result) || result.outcome.status === 0 || result.outcome.status === 503) users.splice(users.indexOf(victim), 1);
        }
      }
    }
  }

  /** A team of the platform following a SCIM group (admin API, JSON:API): true once both writes were acknowledged. */
  async function linkTeam(client: number, groupId: string, name: string): Promise<boolean> {
    const team = await send(client, 'team-create', true, 'POST', '/api/v2/admin/teams', { data: { type: 'teams', attributes: { name } } }, true);
    const teamId = (team.json?.data as { id?: string } | undefined)?.id;
    if (team.outcome.status !== 201 || !teamId) return false;
    const link = await send(client, 'team-link', true, 'POST', `/api/v2/admin/teams/${teamId}/scim-group-mapping`, { data: { type: 'scim-group-mapping', attributes: { 'scim-group-id': groupId } } }, true);
    return link.outcome.status >= 200 && link.outcome.status < 300;
  }

  const done = Promise.all(Array.from({ length: clients }, (_, client) => runClient(client)));
  return {
    outcomes,
    async stop() {
      running = false;
      await done;
      return outcomes;
    },
  };
}

/** Counts of outcomes by `<kind> <status>`, for logs and reports. */
export function countOutcomes(list: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of list) counts[`${o.kind} ${o.status}`] = (counts[`${o.kind} ${o.status}`] ?? 0) + 1;
  return counts;
}
