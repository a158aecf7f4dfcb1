import { Router, type Request } from 'express';
import type { Pool } from 'pg';
import { PLATFORM_READ_SCHEMA } from '../../../projections/platform/tables';
import { groupAsOf, teamAsOf, userAsOf } from '../../../shared/audit/as-of';
import { historyOf, type HistoryEntry } from '../../../shared/audit/history';
import { formatInstant, InstantSyntaxError, parseInstant, type Instant } from '../../../shared/audit/instant';
import { subjectOfStream, type Subject } from '../../../shared/audit/subjects';
import { isTeamId } from '../../../shared/domain/teams/team';
import type { EventStore } from '../../../shared/eventstore/port';
import { scimErrors } from '../../../shared/scim/errors';
import type { ReadYourWrites } from '../read/read-your-writes';
import { renderGroup, renderUser } from '../scim/render';
import { isResourceId, scimBaseUrl } from '../scim/request';
import { AdminApiError, jsonApiResource, queryParameter, sendCollection, sendResource, type JsonApiResource } from './json-api';
import { allowMethods } from './method-not-allowed';

export interface AuditRoutesDependencies {
  /** The event store: histories and states at an instant come from the log alone. */
  readonly store: EventStore;
  /** The platform read model's names, for the search. */
  readonly pool: Pool;
  readonly readYourWrites: ReadYourWrites;
}

export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;
const MAX_QUERY_LENGTH = 256;

type Kind = 'users' | 'groups' | 'teams';
const KIND: Record<Kind, 'user' | 'group' | 'team'> = { users: 'user', groups: 'group', teams: 'team' };

const S = `"${PLATFORM_READ_SCHEMA}"`;

/** The subject a path names: a SCIM id for users and groups, a team id for teams. @throws 404 for anything else or an empty stream. */
async function subjectOf(store: EventStore, kind: Kind, id: string): Promise<Subject> {
  const valid = kind === 'teams' ? isTeamId(id) : isResourceId(id);
  const streamId = kind === 'teams' ? id : `${KIND[kind]}-${id.toLowerCase()}`;
  const subject = valid ? await subjectOfStream(store, KIND[kind], streamId) : undefined;
  if (!subject) throw scimErrors.notFound(`no ${KIND[kind]} ${id} in the event log`);
  return subject;
}

function instantOf(req: Request): Instant {
  const at = queryParameter(req, 'at');
  if (at === undefined || at.trim() === '') {
    throw new AdminApiError(400, 'at is required: a time (RFC 3339, e.g. 2026-03-01T09:30:00Z) or a log position (<commit>/<prepare>)', { parameter: 'at' });
  }
  try {
    return parseInstant(at, 'at');
  } catch (error) {
    if (error instanceof InstantSyntaxError) throw new AdminApiError(400, error.detail, { parameter: 'at' });
    throw error;
  }
}

function limitOf(req: Request): number {
  const value = queryParameter(req, 'limit');
  if (value === undefined) return DEFAULT_SEARCH_LIMIT;
  const limit = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_SEARCH_LIMIT)) throw new AdminApiError(400, `limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`, { parameter: 'limit' });
  return limit;
}

function historyResource(entry: HistoryEntry): JsonApiResource {
  return jsonApiResource('audit-events', entry.eventId, {
    position: entry.position,
    revision: entry.revision,
    'event-type': entry.type,
    'schema-version': entry.schemaVersion,
    'read-as': entry.readAs ?? null,
    'occurred-at': entry.occurredAt,
    'actor-kind': entry.actor.kind,
    'actor-id': entry.actor.id,
    'actor-label': entry.actor.label,
    'token-description': entry.actor.tokenDescription ?? null,
    'request-id': entry.origin.requestId,
    'source-ip': entry.origin.ip,
    'user-agent': entry.origin.userAgent,
    changes: entry.changes,
    data: entry.data,
  });
}

const subjectMeta = (subject: Subject) => ({ kind: subject.kind, id: subject.id, name: subject.name, names: subject.names });

/**
 * /api/v2/admin/audit: what scim-audit answers, for the settings page.
 * - GET /subjects?q=<text>[&limit=n]: users, groups and teams with a name (now or in the past:
 *   userName, externalId, displayName, a team's name) starting with `q`, case-insensitive;
 * - GET /{users|groups|teams}/{id}/history: every event of the aggregate (`audit-events`), what it
 *   changed, who caused it (a SCIM token by its description), the request and its source;
 * - GET /{users|groups|teams}/{id}/as-of?at=<time|position>: a user or group exactly as GET
 *   /scim/v2/... answered then (`attributes.resource`), or the team's effective members then.
 * Histories and states come from the event store alone; the search from the platform read model's
 * names. Errors are JSON:API documents: 400 for a bad `at`, `q` or `limit`, 404 for an unknown id
 * or a resource that did not exist at the instant.
 */
export function auditRoutes({ store, pool, readYourWrites }: AuditRoutesDependencies): Router {
  const router = Router();

  router.get('/subjects', async (req, res) => {
    const q = (queryParameter(req, 'q') ?? '').trim();
    if (q === '') throw new AdminApiError(400, 'q is required: the start of a name or an id', { parameter: 'q' });
    if (q.length > MAX_QUERY_LENGTH) throw new AdminApiError(400, `q is longer than ${MAX_QUERY_LENGTH} characters`, { parameter: 'q' });
    const limit = limitOf(req);
    await readYourWrites.wait();
    const prefix = `${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const { rows } = await pool.query<{ kind: 'user' | 'group' | 'team'; subject_id: string; names: string[]; current: string | null; deleted: boolean }>(
      `WITH found AS (
         SELECT kind, subject_id FROM ${S}.subject_names WHERE lower(name) LIKE $1 OR lower(subject_id) = lower($2)
         GROUP BY kind, subject_id)
       SELECT f.kind, f.subject_id,
              ARRAY(SELECT n.name FROM ${S}.subject_names n WHERE n.kind = f.kind AND n.subject_id = f.subject_id ORDER BY n.first_seen, n.name) AS names,
              coalesce(u.user_name, g.display_name, t.name) AS current,
              coalesce(u.deleted, g.deleted, false) AS deleted
         FROM found f
         LEFT JOIN ${S}.users u ON f.kind = 'user' AND u.id::text = f.subject_id
         LEFT JOIN ${S}.groups g ON f.kind = 'group' AND g.id::text = f.subject_id
         LEFT JOIN ${S}.teams t ON f.kind = 'team' AND t.id = f.subject_id
        ORDER BY f.kind DESC, lower(coalesce(u.user_name, g.display_name, t.name)), f.subject_id
        LIMIT $3`,
      [prefix, q, limit],
    );
    await sendCollection(
      res,
      'audit-subjects',
      rows.map((r) => jsonApiResource('audit-subjects', r.subject_id, { kind: r.kind, name: r.current ?? r.names.at(-1) ?? r.subject_id, names: r.names, deleted: r.deleted })),
    );
  });
  allowMethods(router, '/subjects', ['GET']);

  router.get('/:kind/:id/history', async (req, res) => {
    const kind = kindOf(req);
    const subject = await subjectOf(store, kind, String(req.params.id));
    const history = await historyOf(store, subject);
    await sendCollection(res, 'audit-events', history.entries.map(historyResource), undefined, { subject: subjectMeta(subject) });
  });
  allowMethods(router, '/:kind/:id/history', ['GET']);

  router.get('/:kind/:id/as-of', async (req, res) => {
    const kind = kindOf(req);
    const instant = instantOf(req);
    const subject = await subjectOf(store, kind, String(req.params.id));
    const at = formatInstant(instant);
    if (kind === 'teams') {
      const team = await teamAsOf(store, subject, instant);
      await sendResource(
        res,
        200,
        jsonApiResource('team-members-as-of', team.teamId, {
          at,
          name: team.name,
          'is-owners': team.isOwners,
          'scim-group-id': team.scimGroup?.id ?? null,
          'scim-group-display-name': team.scimGroup?.displayName ?? null,
          'link-paused': team.linkPaused,
          members: team.members.map((m) => ({ 'account-id': m.accountId, kind: m.kind, username: m.username })),
        }),
      );
      return;
    }
    const baseUrl = scimBaseUrl(req);
    const resource = kind === 'users' ? renderUser(await userAsOf(store, subject, instant), baseUrl) : renderGroup(await groupAsOf(store, subject, instant), baseUrl);
    await sendResource(res, 200, jsonApiResource(kind === 'users' ? 'scim-users-as-of' : 'scim-groups-as-of', subject.id, { at, resource }));
  });
  allowMethods(router, '/:kind/:id/as-of', ['GET']);

  return router;
}

function kindOf(req: Request): Kind {
  const kind = String(req.params.kind);
  if (kind === 'users' || kind === 'groups' || kind === 'teams') return kind;
  throw scimErrors.notFound(`no API endpoint at ${req.method} ${req.originalUrl.split('?')[0]}`);
}
