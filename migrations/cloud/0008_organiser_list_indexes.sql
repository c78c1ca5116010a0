CREATE INDEX "orders_event_id_idx" ON "orders" USING btree ("event_id","id");--> statement-breakpoint
CREATE INDEX "tickets_event_id_idx" ON "tickets" USING btree ("event_id","id");