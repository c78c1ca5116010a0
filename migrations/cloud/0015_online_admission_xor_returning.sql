-- record_online_admission as in 0014, with the new record's checksum term computed from the row as it is
-- inserted (INSERT … RETURNING) instead of read back by a SELECT after it. That SELECT ran while the event
-- row's lock was held and, measured under the full load test (pg_stat_statements with track = all), took
-- 2.9 ms on average — the longest step of the critical section that every purchase and scan of the event
-- waits for; the term itself is shared/sync-protocol's ADMISSION_XOR_TERM_SQL verbatim (a test compares).
CREATE OR REPLACE FUNCTION record_online_admission(
  p_tenant text, p_event uuid, p_ticket uuid, p_serial bigint,
  p_generation integer, p_status text, p_digest text, p_history_count bigint,
  p_scan_id uuid, p_gate uuid, p_gate_name text, p_staff text, p_direction text, p_reason text,
  p_scanned_at timestamptz, p_at_ms bigint, p_from_zone text, p_to_zone text
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_count bigint;
  v_seq bigint;
  v_origin_seq bigint;
  v_xor bigint;
BEGIN
  -- The ticket as the decision saw it, locked: a racing scan of it waits here, then sees this one's record.
  PERFORM 1 FROM tickets
   WHERE id = p_ticket AND tenant_id = p_tenant AND event_id = p_event AND serial = p_serial
     AND generation = p_generation AND status = p_status AND digest IS NOT DISTINCT FROM p_digest
     FOR UPDATE;
  IF NOT FOUND THEN
    RETURN 'stale';
  END IF;

  -- Each statement of a volatile function reads a fresh snapshot: a record committed while we waited counts.
  SELECT count(*) INTO v_count FROM admissions
   WHERE event_id = p_event AND tenant_id = p_tenant AND serial = p_serial;
  IF v_count <> p_history_count THEN
    RETURN 'stale';
  END IF;

  -- Numbering, the last lock (a cancelled event admits nobody: decided again, it is EVENT_CANCELLED).
  UPDATE events SET change_seq = change_seq + 1, cloud_admission_seq = cloud_admission_seq + 1
   WHERE id = p_event AND tenant_id = p_tenant AND status = 'published'
  RETURNING change_seq, cloud_admission_seq INTO v_seq, v_origin_seq;
  IF NOT FOUND THEN
    RETURN 'stale';
  END IF;

  INSERT INTO scans (id, tenant_id, event_id, ticket_id, gate_id, staff_user_id, direction, accepted, reason,
                     generation, scanned_at)
  VALUES (p_scan_id, p_tenant, p_event, p_ticket, p_gate, p_staff, p_direction, 1, p_reason, p_generation,
          p_scanned_at);

  INSERT INTO admissions (event_id, seq, tenant_id, serial, origin, origin_seq, direction, at_ms, gate_id,
                          gate_name, unconfirmed, source, from_zone, to_zone, created_at)
  VALUES (p_event, v_seq, p_tenant, p_serial, 'cloud', v_origin_seq, p_direction, p_at_ms, p_gate, p_gate_name,
          false, 'validate', lower(p_from_zone), lower(p_to_zone), p_scanned_at)
  RETURNING ('x' || encode(substring(sha256(convert_to(serial || '|' || lower(origin) || '|' || origin_seq || '|' || direction || '|' || at_ms || '|' || lower(gate_id::text) || '|' || (case when unconfirmed then 1 else 0 end) || (case when direction = 'undo' then '|' || lower(undoes_origin) || '|' || undoes_origin_seq when from_zone is not null and to_zone is not null then '|' || lower(from_zone) || '|' || lower(to_zone) else '' end), 'UTF8')) from 1 for 8), 'hex'))::bit(64)::bigint INTO v_xor;
  UPDATE events SET admission_count = admission_count + 1, admission_xor = admission_xor # v_xor
   WHERE id = p_event;
  RETURN 'ok';
END;
$$;
