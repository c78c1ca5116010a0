-- Custom SQL migration file, put your code below! --
-- append_ticket_changes: the ONE writer of the manifest change log (issue 13). It numbers an event's new
-- change rows under the event row's lock (UPDATE events SET change_seq = change_seq + n … RETURNING, held
-- until commit, so a lower number always commits first: cloud/services/changes.ts explains why) and
-- inserts them. cloud/services/changes.ts calls it for every change the application makes, and
-- purchase_hold below for the tickets a purchase issues, so the column list of ticket_changes is written
-- here only. Returns the new head, or NULL (nothing written) when the event is missing, belongs to
-- another tenant, or is not in one of p_event_statuses. Arrays are the changes' columns, in order.
CREATE OR REPLACE FUNCTION append_ticket_changes(
  p_event uuid, p_tenant text, p_event_statuses text[], p_now timestamptz,
  p_ops text[], p_ticket_ids uuid[], p_serials bigint[], p_type_nos integer[], p_generations integer[],
  p_statuses text[], p_digests text[], p_reasons text[]
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_count integer := coalesce(cardinality(p_ops), 0);
  v_head bigint;
BEGIN
  UPDATE events SET change_seq = change_seq + v_count
   WHERE id = p_event AND tenant_id = p_tenant AND status = ANY(p_event_statuses)
  RETURNING change_seq INTO v_head;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;

  INSERT INTO ticket_changes (event_id, seq, tenant_id, op, ticket_id, serial, type_no, generation, status, digest,
                              reason, created_at)
  SELECT p_event, v_head - v_count + c.ord, p_tenant, c.op, c.ticket_id, c.serial, c.type_no, c.generation,
         c.status, c.digest, c.reason, p_now
    FROM unnest(p_ops, p_ticket_ids, p_serials, p_type_nos, p_generations, p_statuses, p_digests, p_reasons)
         WITH ORDINALITY AS c(op, ticket_id, serial, type_no, generation, status, digest, reason, ord);

  RETURN v_head;
END
$$;
--> statement-breakpoint
-- purchase_hold as in 0004, its change-log rows now written by append_ticket_changes (same rows: one
-- 'issue' per ticket, generation 1, valid, under the event lock, last; TKEVT when not on sale).
CREATE OR REPLACE FUNCTION purchase_hold(
  p_reservation uuid, p_tenant text, p_event uuid, p_user text, p_now timestamptz,
  p_order uuid, p_key text, p_total integer, p_currency text, p_payment text,
  p_ticket_ids uuid[], p_type_ids uuid[], p_serials bigint[], p_type_nos integer[], p_qrs text[], p_digests text[],
  p_mint_status text
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_count integer := cardinality(p_ticket_ids);
  v_head bigint;
BEGIN
  UPDATE reservations SET status = 'purchased', updated_at = p_now
   WHERE id = p_reservation AND tenant_id = p_tenant AND status = 'active' AND expires_at > p_now;
  IF NOT FOUND THEN
    RETURN 'hold-not-active';
  END IF;

  INSERT INTO orders (id, tenant_id, event_id, user_id, reservation_id, idempotency_key, status, total_cents,
                      currency, payment_id, created_at)
  VALUES (p_order, p_tenant, p_event, p_user, p_reservation, p_key, 'paid', p_total, p_currency, p_payment, p_now)
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'idempotency key already used' USING ERRCODE = 'TKKEY';
  END IF;

  INSERT INTO tickets (id, tenant_id, event_id, ticket_type_id, order_id, owner_user_id, serial, type_no, generation,
                       status, qr, digest, issued_at, updated_at, mint_status)
  SELECT t.id, p_tenant, p_event, t.type_id, p_order, p_user, t.serial, t.type_no, 1, 'valid', t.qr, t.digest,
         p_now, p_now, p_mint_status
    FROM unnest(p_ticket_ids, p_type_ids, p_serials, p_type_nos, p_qrs, p_digests)
         AS t(id, type_id, serial, type_no, qr, digest);

  v_head := append_ticket_changes(
    p_event, p_tenant, ARRAY['published'], p_now,
    array_fill('issue'::text, ARRAY[v_count]), p_ticket_ids, p_serials, p_type_nos,
    array_fill(1, ARRAY[v_count]), array_fill('valid'::text, ARRAY[v_count]), p_digests,
    array_fill(NULL::text, ARRAY[v_count]));
  IF v_head IS NULL THEN
    RAISE EXCEPTION 'event not on sale' USING ERRCODE = 'TKEVT';
  END IF;

  RETURN 'ok';
END
$$;
