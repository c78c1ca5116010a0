ALTER TABLE "orders" ADD COLUMN "refunded_by" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "refund_override" text;--> statement-breakpoint
CREATE INDEX "reservations_customer_active_idx" ON "reservations" USING btree ("event_id","user_id") WHERE "reservations"."status" = 'active';--> statement-breakpoint
-- lock_held_by_customer: the per-customer hold cap (issue 15, HOLD_LIMIT_PER_CUSTOMER). Takes the
-- transaction-level advisory lock of (tenant, event, customer) — so a customer's concurrent hold
-- requests for one event decide one after another — and then answers how many tickets that customer
-- already holds for the event in active, unexpired holds. The count is its own statement inside a
-- VOLATILE function, so it reads a snapshot taken AFTER the lock was granted: a hold the previous lock
-- holder committed is always counted. Called first in a hold's statement or transaction, before any
-- ticket-type row is locked (cloud/services/hold-limit.ts). The lock is released at commit.
CREATE OR REPLACE FUNCTION lock_held_by_customer(
  p_tenant text, p_event uuid, p_user text, p_now timestamptz
) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_held integer;
BEGIN
  PERFORM pg_advisory_xact_lock(727015, hashtext(p_tenant || '/' || p_event::text || '/' || p_user));
  SELECT coalesce(sum((i.item ->> 'quantity')::integer), 0)::integer INTO v_held
    FROM reservations r, jsonb_array_elements(r.items) AS i(item)
   WHERE r.event_id = p_event AND r.user_id = p_user AND r.tenant_id = p_tenant
     AND r.status = 'active' AND r.expires_at > p_now;
  RETURN v_held;
END
$$;
