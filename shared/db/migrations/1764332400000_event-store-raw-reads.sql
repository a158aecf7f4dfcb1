-- Up Migration

-- Subscriptions get each event's data and metadata as the JSON text Postgres holds, not parsed:
-- a reader that only passes them on (the Kafka publisher) never parses and re-serialises them,
-- and one that needs the values parses them when it first looks (shared/eventstore/postgres/rows.ts).
DROP FUNCTION event_store_read_after(xid8, bigint, integer, text[]);
CREATE FUNCTION event_store_read_after(p_commit xid8, p_prepare bigint, p_limit integer, p_prefixes text[])
RETURNS TABLE (kind text, held_back boolean, event_id text, stream_id text, stream_revision bigint, event_type text,
               data text, metadata text, recorded_at timestamptz, transaction_id text, global_position bigint, matched boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_next  xid8 := pg_snapshot_xmax(pg_current_snapshot());
  v_bound xid8 := event_store_visible_bound();
BEGIN
  RETURN QUERY SELECT 'bound'::text, v_bound < v_next, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::text,
                      NULL::timestamptz, v_bound::text, NULL::bigint, NULL::boolean;
  -- A statement of its own: its snapshot is taken after the bound, so it sees every writer below it.
  RETURN QUERY
    SELECT 'event'::text, NULL::boolean, e.event_id::text, e.stream_id, e.stream_revision, e.event_type,
           CASE WHEN m.matched THEN e.data::text END, CASE WHEN m.matched THEN e.metadata::text END,
           e.recorded_at, e.transaction_id::text, e.global_position, m.matched
      FROM events e
      CROSS JOIN LATERAL (SELECT (p_prefixes IS NULL OR e.stream_id ^@ ANY (p_prefixes)) AS matched) m
     WHERE e.transaction_id < v_bound
       AND (e.transaction_id, e.global_position) > (p_commit, p_prepare)
     ORDER BY e.transaction_id, e.global_position
     LIMIT greatest(p_limit, 0);
END;
$$;

-- Down Migration
DROP FUNCTION event_store_read_after(xid8, bigint, integer, text[]);
CREATE FUNCTION event_store_read_after(p_commit xid8, p_prepare bigint, p_limit integer, p_prefixes text[])
RETURNS TABLE (kind text, held_back boolean, event_id text, stream_id text, stream_revision bigint, event_type text,
               data jsonb, metadata jsonb, recorded_at timestamptz, transaction_id text, global_position bigint, matched boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_next  xid8 := pg_snapshot_xmax(pg_current_snapshot());
  v_bound xid8 := event_store_visible_bound();
BEGIN
  RETURN QUERY SELECT 'bound'::text, v_bound < v_next, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::jsonb, NULL::jsonb,
                      NULL::timestamptz, v_bound::text, NULL::bigint, NULL::boolean;
  RETURN QUERY
    SELECT 'event'::text, NULL::boolean, e.event_id::text, e.stream_id, e.stream_revision, e.event_type,
           CASE WHEN m.matched THEN e.data END, CASE WHEN m.matched THEN e.metadata END,
           e.recorded_at, e.transaction_id::text, e.global_position, m.matched
      FROM events e
      CROSS JOIN LATERAL (SELECT (p_prefixes IS NULL OR e.stream_id ^@ ANY (p_prefixes)) AS matched) m
     WHERE e.transaction_id < v_bound
       AND (e.transaction_id, e.global_position) > (p_commit, p_prepare)
     ORDER BY e.transaction_id, e.global_position
     LIMIT greatest(p_limit, 0);
END;
$$;
