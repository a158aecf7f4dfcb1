import request from 'supertest';
import type { RecordedEvent } from '../../shared/eventstore/port';
import { formatPosition } from '../../shared/eventstore/position';
import { GROUP_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from './scim-api';

/** A clock the test moves: every event of a step carries the step's time. */
export class StepClock {
  private at = Date.parse(START);
  now = (): Date => new Date(this.at);
  set(iso: string): void {
    this.at = Date.parse(iso);
  }
}

const START = '2026-03-01T08:00:00.000Z';
export const ENTRA_AGENT = 'Azure AD SCIM Provisioning';

/** What a GET answered right after a step, to compare `as-of` with. */
export interface Snapshot {
  readonly at: string;
  readonly body: Record<string, unknown>;
}

/**
 * A history built only through the service's real SCIM and admin APIs (no hand-written rows), one
 * step at a time, each step at its own time (StepClock) with its own request id:
 *
 *   09:00 admin creates the SCIM token "Entra ID"            (request step-token)
 *   09:10 Entra provisions jane.doe@example.com              (step-jane)
 *   09:20 Entra provisions john.roe@example.com              (step-john)
 *   09:30 Entra creates group "Engineering" with jane        (step-group)
 *   09:40 admin creates team "platform" and links it          (step-team, step-link)
 *   09:50 Entra renames jane to janet.doe@example.com and deactivates her, in one PATCH (step-rename)
 *   10:00 Entra renames the group "Platform Engineering" and adds john, in one PATCH (step-group-patch)
 *   10:10 Entra reactivates janet                             (step-reactivate)
 *   10:20 admin pauses the team's link                        (step-pause)
 *   10:30 Entra deletes john                                  (step-delete)
 *   10:40 admin resumes the team's link                       (step-resume)
 *   10:50 Entra provisions john.roe@example.com again: a new user with the deleted one's name (step-john-again)
 */
export interface AuditHistory {
  readonly api: ScimApiUnderTest;
  readonly clock: StepClock;
  readonly tokenId: string;
  readonly janeId: string;
  readonly johnId: string;
  /** The second user named john.roe@example.com. */
  readonly johnAgainId: string;
  readonly groupId: string;
  readonly teamId: string;
  /** GET /Users/{jane} after each step that changed her, and GET /Groups/{group} likewise. */
  readonly jane: Readonly<Record<string, Snapshot>>;
  readonly group: Readonly<Record<string, Snapshot>>;
  /** Every event, in log order. */
  events(): Promise<RecordedEvent[]>;
  /** The position of the event of `type` in `streamId` (the last one). */
  positionOf(streamId: string, type: string): Promise<string>;
}

export async function buildAuditHistory(label: string, env: Record<string, string> = {}): Promise<AuditHistory> {
  const clock = new StepClock();
  const api = await startScimApi(label, env, { clock });
  const fail = (what: string, res: request.Response) => {
    throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const admin = async (requestId: string, method: 'post' | 'patch', path: string, body: unknown) => {
    const res = await api.admin(method, path, body).set('X-Request-Id', requestId);
    if (res.status >= 300) fail(`${method} ${path}`, res);
    return res;
  };
  const step = (iso: string) => clock.set(iso);

  step('2026-03-01T09:00:00.000Z');
  const created = await admin('step-token', 'post', '/scim-tokens', { data: { type: 'authentication-tokens', attributes: { description: 'Entra ID' } } });
  const tokenId = created.body.data.id as string;
  const entraToken = created.body.data.attributes.token as string;
  const entra = async (requestId: string, method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown) => {
    let test = request(api.app)[method](`/scim/v2${path}`).set('Authorization', `Bearer ${entraToken}`).set('User-Agent', ENTRA_AGENT).set('X-Request-Id', requestId);
    if (body !== undefined) test = test.set('Content-Type', 'application/scim+json').send(JSON.stringify(body));
    const res = await test;
    if (res.status >= 300) fail(`${method} ${path}`, res);
    return res;
  };
  const jane: Record<string, Snapshot> = {};
  const group: Record<string, Snapshot> = {};
  const snap = async (into: Record<string, Snapshot>, key: string, path: string) => {
    into[key] = { at: clock.now().toISOString(), body: (await entra(`get-${key}`, 'get', path)).body };
  };

  step('2026-03-01T09:10:00.000Z');
  const janeId = (await entra('step-jane', 'post', '/Users', newUser('jane.doe@example.com', { externalId: 'ext-jane', title: 'Engineer' }))).body.id as string;
  await snap(jane, 'provisioned', `/Users/${janeId}`);

  step('2026-03-01T09:20:00.000Z');
  const johnId = (await entra('step-john', 'post', '/Users', newUser('john.roe@example.com'))).body.id as string;

  step('2026-03-01T09:30:00.000Z');
  const groupId = (await entra('step-group', 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineering', members: [{ value: janeId }] })).body.id as string;
  await snap(jane, 'grouped', `/Users/${janeId}`);
  await snap(group, 'created', `/Groups/${groupId}`);

  step('2026-03-01T09:40:00.000Z');
  const teamId = (await admin('step-team', 'post', '/teams', { data: { type: 'teams', attributes: { name: 'platform', 'service-accounts': [{ name: 'ci-bot', id: CI_BOT }] } } })).body.data.id as string;
  await admin('step-link', 'post', `/teams/${teamId}/scim-group-mapping`, { data: { type: 'scim-group-mapping', attributes: { 'scim-group-id': groupId } } });

  step('2026-03-01T09:50:00.000Z');
  await entra('step-rename', 'patch', `/Users/${janeId}`, patchOp({ op: 'replace', path: 'userName', value: 'janet.doe@example.com' }, { op: 'replace', path: 'active', value: false }));
  await snap(jane, 'renamed', `/Users/${janeId}`);

  step('2026-03-01T10:00:00.000Z');
  await entra('step-group-patch', 'patch', `/Groups/${groupId}`, patchOp({ op: 'replace', path: 'displayName', value: 'Platform Engineering' }, { op: 'add', path: 'members', value: [{ value: johnId }] }));
  await snap(group, 'patched', `/Groups/${groupId}`);
  await snap(jane, 'group-renamed', `/Users/${janeId}`);

  step('2026-03-01T10:10:00.000Z');
  await entra('step-reactivate', 'patch', `/Users/${janeId}`, patchOp({ op: 'replace', path: 'active', value: true }));
  await snap(jane, 'reactivated', `/Users/${janeId}`);

  step('2026-03-01T10:20:00.000Z');
  await admin('step-pause', 'patch', `/teams/${teamId}/scim-group-mapping`, { data: { type: 'scim-group-mapping', attributes: { 'scim-sync-paused': true } } });

  step('2026-03-01T10:30:00.000Z');
  await entra('step-delete', 'delete', `/Users/${johnId}`);
  await snap(group, 'member-deleted', `/Groups/${groupId}`);

  step('2026-03-01T10:40:00.000Z');
  await admin('step-resume', 'patch', `/teams/${teamId}/scim-group-mapping`, { data: { type: 'scim-group-mapping', attributes: { 'scim-sync-paused': false } } });

  step('2026-03-01T10:50:00.000Z');
  const johnAgainId = (await entra('step-john-again', 'post', '/Users', newUser('john.roe@example.com'))).body.id as string;

  const events = () => api.allEvents();
  return {
    api,
    clock,
    tokenId,
    janeId,
    johnId,
    johnAgainId,
    groupId,
    teamId,
    jane,
    group,
    events,
    async positionOf(streamId, type) {
      const found = (await events()).filter((e) => e.streamId === streamId && e.type === type).at(-1);
      if (!found) throw new Error(`no ${type} in ${streamId}`);
      return formatPosition(found.position);
    },
  };
}

/** The service account the team starts with. */
export const CI_BOT = '0f0e0d0c-0b0a-4909-8807-060504030201';
