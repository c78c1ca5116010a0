CREATE INDEX "tickets_mint_pending_idx" ON "tickets" USING btree ("updated_at") WHERE "tickets"."mint_status" = 'pending';--> statement-breakpoint
-- purchase_hold gains p_mint_status ('pending' when MINTING_SERVICE_URL is set, NULL otherwise): the new
-- tickets are marked for minting in the purchase's own statement, so a crash right after the commit can
-- no longer leave them unmarked (and invisible to the pending-mint sweep).
DROP FUNCTION IF EXISTS purchase_hold(uuid, text, uuid, text, timestamptz, uuid, text, integer, text, text,
  uuid[], uuid[], bigint[], integer[], text[], text[]);
--> statement-breakpoint
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

  UPDATE events SET change_seq = change_seq + v_count
   WHERE id = p_event AND tenant_id = p_tenant AND status = 'published'
  RETURNING change_seq INTO v_head;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'event not on sale' USING ERRCODE = 'TKEVT';
  END IF;

  INSERT INTO ticket_changes (event_id, seq, tenant_id, op, ticket_id, serial, type_no, generation, status, digest,
                              created_at)
  SELECT p_event, v_head - v_count + t.ord, p_tenant, 'issue', t.id, t.serial, t.type_no, 1, 'valid', t.digest, p_now
    FROM unnest(p_ticket_ids, p_serials, p_type_nos, p_digests) WITH ORDINALITY AS t(id, serial, type_no, digest, ord);

  RETURN 'ok';
END
$$;
