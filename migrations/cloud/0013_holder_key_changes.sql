-- Holder-bound rotating codes (issue 20): a change row carries the ticket's holder-key box as of the change
-- (a binding is a change of its own, op 'bind'; a transfer's row has none: the new holder claims anew), so
-- gates receive a binding like any other ticket change. The writer gains p_holder_keys (last, default NULL:
-- callers that predate it, such as purchase_hold, write rows without a box); the previous signature is
-- dropped so no overload is left to call by mistake.
DROP FUNCTION IF EXISTS append_ticket_changes(uuid, text, text[], timestamptz, text[], uuid[], bigint[], integer[],
  integer[], text[], text[], text[], text[]);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION append_ticket_changes(
  p_event uuid, p_tenant text, p_event_statuses text[], p_now timestamptz,
  p_ops text[], p_ticket_ids uuid[], p_serials bigint[], p_type_nos integer[], p_generations integer[],
  p_statuses text[], p_digests text[], p_reasons text[], p_name_boxes text[] DEFAULT NULL,
  p_holder_keys text[] DEFAULT NULL
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

  -- unnest pads a NULL (or shorter) p_name_boxes / p_holder_keys with NULLs: rows without a box.
  INSERT INTO ticket_changes (event_id, seq, tenant_id, op, ticket_id, serial, type_no, generation, status, digest,
                              reason, name_box, holder_key, created_at)
  SELECT p_event, v_head - v_count + c.ord, p_tenant, c.op, c.ticket_id, c.serial, c.type_no, c.generation,
         c.status, c.digest, c.reason, c.name_box, c.holder_key, p_now
    FROM unnest(p_ops, p_ticket_ids, p_serials, p_type_nos, p_generations, p_statuses, p_digests, p_reasons,
                p_name_boxes, p_holder_keys)
         WITH ORDINALITY AS c(op, ticket_id, serial, type_no, generation, status, digest, reason, name_box,
                              holder_key, ord);

  RETURN v_head;
END
$$;
