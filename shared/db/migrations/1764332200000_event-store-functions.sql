-- Up Migration

-- The Postgres event store's write and read paths as functions, so that an append (with its
-- unique-key claims) is one round trip and a subscriber's read sees every committed event in
-- order without waiting for transactions that never write events.
--
-- Event writers register themselves: every transaction that appends takes a shared advisory lock
-- (class 1163285591 'EVTW', key 0) BEFORE it gets a transaction id, and keeps it until it ends.
-- A reader then knows which in-flight transactions may still add events: the lock's holders. It
-- reads only rows whose transaction id is below the oldest of them (or below the snapshot's xmax
-- when none is in flight), so a late commit is never skipped, and a long transaction that writes
-- no events (in this database or any other) holds nobody back.

-- Registers the calling transaction as an event writer. Must run before the transaction's first
-- write: a transaction id handed out before it could belong to events a reader already passed.
CREATE FUNCTION event_store_register_writer() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF pg_current_xact_id_if_assigned() IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
          AND classid = 1163285591 AND objid = 0 AND objsubid = 2) THEN
    RAISE EXCEPTION 'an event store append must come before any other write of its transaction'
      USING ERRCODE = 'ES500';
  END IF;
  PERFORM pg_advisory_xact_lock_shared(1163285591, 0);
END;
$$;

-- The transaction id below which no event can still commit: the oldest registered writer still in
-- flight, or the next transaction id when none is. Call it in a statement of its own, before the
-- statement that reads up to it, so that a writer that ends between the two is visible to the read.
-- pg_locks names transactions by 32-bit xid; they are widened against the snapshot's xmax (a
-- running transaction is never 2^31 or more older than it). One taken after the snapshot cannot
-- lower the bound below xmax, so it is left out.
CREATE FUNCTION event_store_visible_bound() RETURNS xid8 LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_next   bigint := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
  v_low    bigint := v_next & 4294967295;
  v_oldest bigint;
BEGIN
  SELECT min(v_next - d.diff) INTO v_oldest
    FROM pg_locks a
    JOIN pg_locks t ON t.virtualtransaction = a.virtualtransaction
                   AND t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' AND t.granted
    CROSS JOIN LATERAL (SELECT ((v_low - t.transactionid::text::bigint) % 4294967296 + 4294967296) % 4294967296 AS diff) d
   WHERE a.locktype = 'advisory' AND a.granted
     AND a.classid = 1163285591 AND a.objid = 0 AND a.objsubid = 2
     AND a.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND d.diff > 0 AND d.diff < 2147483648;
  RETURN (least(v_next, coalesce(v_oldest, v_next)))::text::xid8;
END;
$$;

-- One page of the log after a position, for subscriptions and readAll: first a header row (kind
-- 'bound') that says whether an in-flight writer held rows back, then the events (kind 'event').
-- Rows outside the stream prefixes come without their payload (matched = false) so the reader can
-- still move its position past them.
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
  -- A statement of its own: its snapshot is taken after the bound, so it sees every writer below it.
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

-- The last position every reader can see (NULL row values when the log is empty).
CREATE FUNCTION event_store_head() RETURNS TABLE (transaction_id text, global_position bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_bound xid8 := event_store_visible_bound();
BEGIN
  RETURN QUERY
    SELECT e.transaction_id::text, e.global_position FROM events e
     WHERE e.transaction_id < v_bound
     ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1;
END;
$$;

-- Claims unique keys ([{scope,key,value}]) for an owner in one statement, in (scope, key) order so
-- two claimers of overlapping keys cannot deadlock. Keys other owners hold raise UK409 with every
-- one of them, as a JSON array, in DETAIL; a key the owner holds already is updated (its value may
-- differ in case).
CREATE FUNCTION unique_keys_claim(p_owner_stream text, p_owner_id text, p_keys jsonb, p_state text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_taken jsonb;
BEGIN
  IF p_keys IS NULL OR jsonb_array_length(p_keys) = 0 THEN RETURN; END IF;
  WITH wanted AS (
         SELECT k.scope, k.key, k.value, k.o
           FROM ROWS FROM (jsonb_to_recordset(p_keys) AS (scope text, key text, value text)) WITH ORDINALITY AS k(scope, key, value, o)),
       claimed AS (
         INSERT INTO unique_keys (scope, key, value, owner_stream, owner_id, state)
         SELECT w.scope, w.key, w.value, p_owner_stream, p_owner_id, p_state FROM wanted w ORDER BY w.scope, w.key
         ON CONFLICT (scope, key) DO UPDATE
           SET value = EXCLUDED.value, changed_at = clock_timestamp()
           WHERE unique_keys.owner_stream = EXCLUDED.owner_stream
         RETURNING scope, key)
  SELECT jsonb_agg(jsonb_build_object('scope', w.scope, 'key', w.key, 'value', w.value) ORDER BY w.o) INTO v_taken FROM wanted w
   WHERE NOT EXISTS (SELECT 1 FROM claimed c WHERE c.scope = w.scope AND c.key = w.key);
  IF v_taken IS NOT NULL THEN
    RAISE EXCEPTION 'unique keys held by another owner: %', v_taken::text
      USING ERRCODE = 'UK409', DETAIL = v_taken::text;
  END IF;
END;
$$;

-- Releases keys ([{scope,key}]) the owner holds; keys of other owners are left alone.
CREATE FUNCTION unique_keys_release(p_owner_stream text, p_keys jsonb) RETURNS void LANGUAGE sql AS $$
  DELETE FROM unique_keys k
   USING jsonb_to_recordset(coalesce(p_keys, '[]')) AS r(scope text, key text)
   WHERE k.scope = r.scope AND k.key = r.key AND k.owner_stream = p_owner_stream;
$$;

-- Appends events ([{id,type,data,metadata}]) to a stream with optimistic concurrency, idempotent
-- by event id, after claiming and releasing the write's unique keys, all in the caller's
-- statement (and so in its transaction). Expected revision: 'any', 'no_stream', 'stream_exists'
-- or the revision of the stream's last event. Errors:
--   ES409 wrong expected revision (DETAIL: the actual revision, or 'no_stream');
--   ES002 an event id recorded elsewhere (DETAIL: the id);
--   UK409 a unique key held by another owner (see unique_keys_claim).
-- Returns the revision of the stream's last event and the position of the last event written (of
-- the original write when it is a retry; the stream's head when no events are given).
CREATE FUNCTION event_store_append(
  p_stream_id text, p_expected text, p_events jsonb, p_channel text,
  p_owner_stream text DEFAULT NULL, p_owner_id text DEFAULT NULL,
  p_claims jsonb DEFAULT NULL, p_releases jsonb DEFAULT NULL, p_claim_state text DEFAULT 'confirmed')
RETURNS TABLE (next_revision bigint, transaction_id text, global_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_count    integer := jsonb_array_length(p_events);
  v_ids      uuid[];
  v_found    integer;
  v_first    record;
  v_last     record;
  v_actual   bigint;
  v_head     record;
  v_inserted integer;
  v_attempt  integer := 0;
BEGIN
  PERFORM event_store_register_writer();
  IF p_owner_stream IS NOT NULL THEN
    PERFORM unique_keys_claim(p_owner_stream, p_owner_id, p_claims, p_claim_state);
    PERFORM unique_keys_release(p_owner_stream, p_releases);
  END IF;

  SELECT array_agg((e->>'id')::uuid ORDER BY o) INTO v_ids FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(e, o);

  -- A retry of a write that already happened answers with that write's result.
  IF v_count > 0 THEN
    SELECT count(*) INTO v_found FROM events ev WHERE ev.event_id = ANY (v_ids);
    IF v_found > 0 THEN
      SELECT ev.stream_id, ev.stream_revision, ev.transaction_id INTO v_first FROM events ev WHERE ev.event_id = v_ids[1];
      IF v_first IS NULL OR v_found <> v_count OR v_first.stream_id <> p_stream_id OR EXISTS (
           SELECT 1 FROM unnest(v_ids) WITH ORDINALITY AS i(id, o)
             LEFT JOIN events ev ON ev.event_id = i.id
            WHERE ev.stream_id IS DISTINCT FROM p_stream_id
               OR ev.stream_revision <> v_first.stream_revision + i.o - 1
               OR ev.transaction_id <> v_first.transaction_id)
         -- One write is one transaction's rows in a stream: the earlier write must not extend past these ids.
         OR EXISTS (
           SELECT 1 FROM events ev
            WHERE ev.stream_id = p_stream_id AND ev.transaction_id = v_first.transaction_id
              AND ev.stream_revision IN (v_first.stream_revision - 1, v_first.stream_revision + v_count)) THEN
        RAISE EXCEPTION 'event id already recorded elsewhere than stream % at this write', p_stream_id
          USING ERRCODE = 'ES002',
                DETAIL = (SELECT i.id::text FROM unnest(v_ids) WITH ORDINALITY AS i(id, o)
                           WHERE EXISTS (SELECT 1 FROM events ev WHERE ev.event_id = i.id) ORDER BY i.o LIMIT 1);
      END IF;
      SELECT ev.stream_revision, ev.transaction_id::text AS transaction_id, ev.global_position INTO v_last
        FROM events ev WHERE ev.event_id = v_ids[v_count];
      RETURN QUERY SELECT v_last.stream_revision, v_last.transaction_id, v_last.global_position;
      RETURN;
    END IF;
  END IF;

  -- 'any' and 'stream_exists' writers would retry against each other while a stream is busy: they queue.
  IF v_count > 0 AND p_expected IN ('any', 'stream_exists') THEN
    PERFORM pg_advisory_xact_lock(1163285587, hashtext(p_stream_id));
  END IF;

  LOOP
    v_attempt := v_attempt + 1;
    SELECT ev.stream_revision, ev.transaction_id::text AS transaction_id, ev.global_position INTO v_head
      FROM events ev WHERE ev.stream_id = p_stream_id ORDER BY ev.stream_revision DESC LIMIT 1;
    v_actual := v_head.stream_revision;
    IF NOT (p_expected = 'any'
            OR (p_expected = 'no_stream' AND v_actual IS NULL)
            OR (p_expected = 'stream_exists' AND v_actual IS NOT NULL)
            OR (p_expected ~ '^-?[0-9]+$' AND coalesce(v_actual = p_expected::bigint, false))) THEN
      RAISE EXCEPTION 'stream %: expected revision %, actual %', p_stream_id, p_expected, coalesce(v_actual::text, 'no_stream')
        USING ERRCODE = 'ES409', DETAIL = coalesce(v_actual::text, 'no_stream');
    END IF;
    IF v_count = 0 THEN
      RETURN QUERY SELECT coalesce(v_actual, -1), coalesce(v_head.transaction_id, '0'), coalesce(v_head.global_position, 0);
      RETURN;
    END IF;

    -- Waits on the unique index for a concurrent writer of the same revision, and loses to it if it commits.
    INSERT INTO events (event_id, stream_id, stream_revision, event_type, data, metadata)
    SELECT (x.e->>'id')::uuid, p_stream_id, coalesce(v_actual, -1) + x.o, x.e->>'type', x.e->'data', x.e->'metadata'
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(e, o)
     ORDER BY x.o
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_inserted = ROW_COUNT;
    EXIT WHEN v_inserted = v_count;

    IF v_inserted > 0 OR EXISTS (SELECT 1 FROM events ev WHERE ev.event_id = ANY (v_ids)) THEN
      -- Part of the write landed beside a concurrent write of the same ids: nothing of it may stay.
      RAISE EXCEPTION 'event id already recorded elsewhere than stream % at this write', p_stream_id
        USING ERRCODE = 'ES002',
              DETAIL = (SELECT i.id::text FROM unnest(v_ids) WITH ORDINALITY AS i(id, o)
                         WHERE EXISTS (SELECT 1 FROM events ev WHERE ev.event_id = i.id) ORDER BY i.o LIMIT 1);
    END IF;
    -- Another writer took the revision: an exact expectation is now wrong (the next pass reports
    -- it); 'any' and 'stream_exists' try again on the new head.
    IF v_attempt >= 10 THEN
      RAISE EXCEPTION 'stream %: expected revision %, the stream stayed too busy', p_stream_id, p_expected
        USING ERRCODE = 'ES409', DETAIL = coalesce(v_actual::text, 'no_stream');
    END IF;
  END LOOP;

  -- Delivered when the transaction commits, never before. The payload '<stream id> <revision>' lets
  -- caches of stream state elsewhere drop what this write made stale.
  PERFORM pg_notify(p_channel, p_stream_id || ' ' || (coalesce(v_actual, -1) + v_count)::text);
  RETURN QUERY
    SELECT ev.stream_revision, ev.transaction_id::text, ev.global_position FROM events ev
     WHERE ev.event_id = v_ids[v_count];
END;
$$;

-- Down Migration
DROP FUNCTION event_store_append(text, text, jsonb, text, text, text, jsonb, jsonb, text);
DROP FUNCTION unique_keys_release(text, jsonb);
DROP FUNCTION unique_keys_claim(text, text, jsonb, text);
DROP FUNCTION event_store_head();
DROP FUNCTION event_store_read_after(xid8, bigint, integer, text[]);
DROP FUNCTION event_store_visible_bound();
DROP FUNCTION event_store_register_writer();
