ALTER TABLE "ticket_changes" ADD COLUMN "name_box" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "holder_name" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "name_box" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_holder_name_check" CHECK (char_length("tickets"."holder_name") BETWEEN 1 AND 100);--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_name_box_check" CHECK (("tickets"."holder_name" IS NULL) = ("tickets"."name_box" IS NULL));--> statement-breakpoint
-- Holder names (issue 17): every change row carries the ticket's name box as of the change (a name change
-- is a change of its own, op 'rename'), so gates receive a new box like any other ticket change. The
-- writer gains p_name_boxes (last, default NULL: callers that predate it write rows without a box); the
-- old signatures are dropped so no overload is left to call by mistake.
DROP FUNCTION IF EXISTS append_ticket_changes(uuid, text, text[], timestamptz, text[], uuid[], bigint[], integer[],
  integer[], text[], text[], text[]);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION append_ticket_changes(
  p_event uuid, p_tenant text, p_event_statuses text[], p_now timestamptz,
  p_ops text[], p_ticket_ids uuid[], p_serials bigint[], p_type_nos integer[], p_generations integer[],
  p_statuses text[], p_digests text[], p_reasons text[], p_name_boxes text[] DEFAULT NULL
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

  -- unnest pads a NULL (or shorter) p_name_boxes with NULLs: rows without a box.
  INSERT INTO ticket_changes (event_id, seq, tenant_id, op, ticket_id, serial, type_no, generation, status, digest,
                              reason, name_box, created_at)
  SELECT p_event, v_head - v_count + c.ord, p_tenant, c.op, c.ticket_id, c.serial, c.type_no, c.generation,
         c.status, c.digest, c.reason, c.name_box, p_now
    FROM unnest(p_ops, p_ticket_ids, p_serials, p_type_nos, p_generations, p_statuses, p_digests, p_reasons,
                p_name_boxes)
         WITH ORDINALITY AS c(op, ticket_id, serial, type_no, generation, status, digest, reason, name_box, ord);

  RETURN v_head;
END
$$;
--> statement-breakpoint
-- purchase_hold as in 0005, with each ticket's holder name and its box (p_holder_names, p_name_boxes:
-- aligned with p_ticket_ids, NULL entries for tickets without a name, the whole array NULL for none).
DROP FUNCTION IF EXISTS purchase_hold(uuid, text, uuid, text, timestamptz, uuid, text, integer, text, text,
  uuid[], uuid[], bigint[], integer[], text[], text[], text);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION purchase_hold(
  p_reservation uuid, p_tenant text, p_event uuid, p_user text, p_now timestamptz,
  p_order uuid, p_key text, p_total integer, p_currency text, p_payment text,
  p_ticket_ids uuid[], p_type_ids uuid[], p_serials bigint[], p_type_nos integer[], p_qrs text[], p_digests text[],
  p_mint_status text, p_holder_names text[] DEFAULT NULL, p_name_boxes text[] DEFAULT NULL
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
                       status, qr, digest, issued_at, updated_at, mint_status, holder_name, name_box)
  SELECT t.id, p_tenant, p_event, t.type_id, p_order, p_user, t.serial, t.type_no, 1, 'valid', t.qr, t.digest,
         p_now, p_now, p_mint_status, t.holder_name, t.name_box
    FROM unnest(p_ticket_ids, p_type_ids, p_serials, p_type_nos, p_qrs, p_digests, p_holder_names, p_name_boxes)
         AS t(id, type_id, serial, type_no, qr, digest, holder_name, name_box)
   WHERE t.id IS NOT NULL;

  v_head := append_ticket_changes(
    p_event, p_tenant, ARRAY['published'], p_now,
    array_fill('issue'::text, ARRAY[v_count]), p_ticket_ids, p_serials, p_type_nos,
    array_fill(1, ARRAY[v_count]), array_fill('valid'::text, ARRAY[v_count]), p_digests,
    array_fill(NULL::text, ARRAY[v_count]), p_name_boxes);
  IF v_head IS NULL THEN
    RAISE EXCEPTION 'event not on sale' USING ERRCODE = 'TKEVT';
  END IF;

  RETURN 'ok';
END
$$;
