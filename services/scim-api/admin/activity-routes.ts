import { Router } from 'express';
import type { Pool } from 'pg';
import { PLATFORM_READ_SCHEMA } from '../../../projections/platform/tables';
import type { ReadYourWrites } from '../read/read-your-writes';
import { AdminApiError, jsonApiResource, queryParameter, sendCollection } from './json-api';
import { allowMethods } from './method-not-allowed';

export const DEFAULT_ACTIVITY_LIMIT = 50;
export const MAX_ACTIVITY_LIMIT = 200;

interface ActivityRow {
  event_id: string;
  event_type: string;
  stream_id: string;
  occurred_at: Date;
  actor_kind: string | null;
  actor_id: string | null;
  token_description: string | null;
  request_id: string | null;
  summary: string;
}

function limitFrom(value: string | undefined): number {
  if (value === undefined) return DEFAULT_ACTIVITY_LIMIT;
  const limit = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_ACTIVITY_LIMIT)) throw new AdminApiError(400, `limit must be a whole number from 1 to ${MAX_ACTIVITY_LIMIT}`, { parameter: 'limit' });
  return limit;
}

const S = `"${PLATFORM_READ_SCHEMA}"`;

/** /api/v2/admin/scim-activity: the most recent events, newest first, with who caused them. */
export function activityRoutes({ pool, readYourWrites }: { pool: Pool; readYourWrites: ReadYourWrites }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const limit = limitFrom(queryParameter(req, 'limit'));
    await readYourWrites.wait();
    // The token table names live tokens; the read model remembers the ones since removed.
    const { rows } = await pool.query<ActivityRow>(
      `SELECT a.event_id, a.event_type, a.stream_id, a.occurred_at, a.actor_kind, a.actor_id, a.request_id, a.summary,
              CASE WHEN a.actor_kind = 'scim-token' THEN coalesce(st.description, rt.description) END AS token_description
         FROM ${S}.activity a
         LEFT JOIN scim_tokens st ON a.actor_kind = 'scim-token' AND st.id = a.actor_id
         LEFT JOIN ${S}.tokens rt ON a.actor_kind = 'scim-token' AND rt.id = a.actor_id
        ORDER BY a.position_commit DESC, a.position_prepare DESC
        LIMIT $1`,
      [limit],
    );
    await sendCollection(
      res,
      'scim-activities',
      rows.map((r) =>
        jsonApiResource('scim-activities', r.event_id, {
          'event-type': r.event_type,
          'stream-id': r.stream_id,
          'occurred-at': r.occurred_at.toISOString(),
          'actor-kind': r.actor_kind,
          'actor-id': r.actor_id,
          'token-description': r.token_description,
          'request-id': r.request_id,
          summary: r.summary,
        }),
      ),
    );
  });
  allowMethods(router, '/', ['GET']);
  return router;
}
