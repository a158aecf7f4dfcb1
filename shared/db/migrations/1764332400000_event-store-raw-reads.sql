-- Up Migration

-- Reads of the log for subscriptions and readAll, reshaped for speed:
-- * the bound (event_store_visible_bound, which scans pg_locks) is computed by its own call and
--   handed to the reads, so one computation serves every subscriber of a process and every page
--   of a catch-up (a bound computed earlier is still a safe bound: every writer below it had
--   ended, or not yet begun, when it was computed);
-- * data and metadata come as the JSON text Postgres holds, not parsed: a reader that only passes
--   them on (the Kafka publisher) never parses and re-serialises them.
DROP FUNCTION event_store_read_after(xid8, bigint, integer, text[]);

-- The bound, and whether a registered event writer in flight holds later rows back.
CREATE FUNCTION event_store_read_bound(OUT bound xid8, OUT held_back boolean) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_next xid8 := pg_snapshot_xmax(pg_current_snapshot());
BEGIN
  bound := event_store_visible_bound();
  held_back := bound < v_next;
END;
$$;

-- One page of the log after a position and below `p_bound` (from event_store_read_bound, in an
-- earlier statement, so this one's snapshot sees every writer below it). Rows outside the stream
-- prefixes come without their payload (matched = false) so the reader can move its position past them.
CREATE FUNCTION event_store_read_page(p_commit xid8, p_prepare bigint, p_limit integer, p_prefixes text[], p_bound xid8)
RETURNS TABLE (event_id text, stream_id text, stream_revision bigint, event_type text, data text, metadata text,
               recorded_at timestamptz, transaction_id text, global_position bigint, matched boolean)
LANGUAGE sql STABLE AS $$
  SELECT e.event_id::text, e.stream_id, e.stream_revision, e.event_type,
         CASE WHEN m.matched THEN e.data::text END, CASE WHEN m.matched THEN e.metadata::text END,
         e.recorded_at, e.transaction_id::text, e.global_position, m.matched
    FROM events e
    CROSS JOIN LATERAL (SELECT (p_prefixes IS NULL OR e.stream_id ^@ ANY (p_prefixes)) AS matched) m
   WHERE e.transaction_id < p_bound
     AND (e.transaction_id, e.global_position) > (p_commit, p_prepare)
   ORDER BY e.transaction_id, e.global_position
   LIMIT greatest(p_limit, 0);
$$;

-- Down Migration
DROP FUNCTION event_store_read_page(xid8, bigint, integer, text[], xid8);
DROP FUNCTION event_store_read_bound();
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
