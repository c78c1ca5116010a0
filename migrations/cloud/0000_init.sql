CREATE TABLE "event_counters" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"next_serial" bigint DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_keys" (
	"event_id" uuid NOT NULL,
	"key_version" smallint NOT NULL,
	"tenant_id" text NOT NULL,
	"wrapped_key" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "event_keys_event_id_key_version_pk" PRIMARY KEY("event_id","key_version")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"venue_id" uuid NOT NULL,
	"name" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"doors_open_at" timestamp with time zone,
	"status" text NOT NULL,
	"cancel_reason" text,
	"cancelled_at" timestamp with time zone,
	"epoch" uuid NOT NULL,
	"change_seq" bigint DEFAULT 0 NOT NULL,
	"next_type_no" integer DEFAULT 1 NOT NULL,
	"key_version" smallint DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "events_times_check" CHECK ("events"."ends_at" > "events"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "gates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"venue_id" uuid NOT NULL,
	"name" text NOT NULL,
	"zone" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"event_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"reservation_id" uuid NOT NULL,
	"idempotency_key" text NOT NULL,
	"status" text NOT NULL,
	"total_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"payment_id" text NOT NULL,
	"refund_id" text,
	"refund_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"refunded_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "reservations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"event_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"status" text NOT NULL,
	"items" jsonb NOT NULL,
	"total_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scans" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"event_id" uuid,
	"ticket_id" uuid,
	"gate_id" uuid NOT NULL,
	"staff_user_id" text NOT NULL,
	"direction" text NOT NULL,
	"accepted" integer NOT NULL,
	"reason" text NOT NULL,
	"generation" integer,
	"scanned_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"key_id" smallint PRIMARY KEY NOT NULL,
	"public_key" text NOT NULL,
	"wrapped_private_key" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ticket_changes" (
	"event_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"tenant_id" text NOT NULL,
	"op" text NOT NULL,
	"ticket_id" uuid,
	"serial" bigint,
	"type_no" integer,
	"generation" integer,
	"status" text,
	"digest" text,
	"reason" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ticket_changes_event_id_seq_pk" PRIMARY KEY("event_id","seq")
);
--> statement-breakpoint
CREATE TABLE "ticket_types" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"event_id" uuid NOT NULL,
	"type_no" integer NOT NULL,
	"name" text NOT NULL,
	"price_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"capacity" integer NOT NULL,
	"taken" integer DEFAULT 0 NOT NULL,
	"gate_ids" uuid[],
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ticket_types_capacity_check" CHECK ("ticket_types"."taken" >= 0 AND "ticket_types"."taken" <= "ticket_types"."capacity"),
	CONSTRAINT "ticket_types_type_no_check" CHECK ("ticket_types"."type_no" BETWEEN 1 AND 65535),
	CONSTRAINT "ticket_types_price_check" CHECK ("ticket_types"."price_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"event_id" uuid NOT NULL,
	"ticket_type_id" uuid NOT NULL,
	"order_id" uuid NOT NULL,
	"owner_user_id" text NOT NULL,
	"serial" bigint NOT NULL,
	"type_no" integer NOT NULL,
	"generation" integer NOT NULL,
	"status" text NOT NULL,
	"revoked_reason" text,
	"qr" text NOT NULL,
	"digest" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "tickets_serial_check" CHECK ("tickets"."serial" BETWEEN 1 AND 4294967295),
	CONSTRAINT "tickets_generation_check" CHECK ("tickets"."generation" BETWEEN 1 AND 65535)
);
--> statement-breakpoint
CREATE TABLE "venues" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"timezone" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "event_counters" ADD CONSTRAINT "event_counters_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_keys" ADD CONSTRAINT "event_keys_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_venue_id_venues_id_fk" FOREIGN KEY ("venue_id") REFERENCES "public"."venues"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gates" ADD CONSTRAINT "gates_venue_id_venues_id_fk" FOREIGN KEY ("venue_id") REFERENCES "public"."venues"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_changes" ADD CONSTRAINT "ticket_changes_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_types" ADD CONSTRAINT "ticket_types_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_ticket_type_id_ticket_types_id_fk" FOREIGN KEY ("ticket_type_id") REFERENCES "public"."ticket_types"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_tenant_idx" ON "events" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "events_venue_idx" ON "events" USING btree ("venue_id");--> statement-breakpoint
CREATE INDEX "gates_venue_idx" ON "gates" USING btree ("tenant_id","venue_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_idempotency_idx" ON "orders" USING btree ("tenant_id","idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_reservation_idx" ON "orders" USING btree ("reservation_id");--> statement-breakpoint
CREATE INDEX "orders_event_idx" ON "orders" USING btree ("event_id","status");--> statement-breakpoint
CREATE INDEX "orders_user_idx" ON "orders" USING btree ("tenant_id","user_id");--> statement-breakpoint
CREATE INDEX "reservations_expiry_idx" ON "reservations" USING btree ("status","expires_at");--> statement-breakpoint
CREATE INDEX "reservations_event_idx" ON "reservations" USING btree ("event_id","status");--> statement-breakpoint
CREATE INDEX "scans_ticket_idx" ON "scans" USING btree ("ticket_id","scanned_at");--> statement-breakpoint
CREATE INDEX "scans_event_idx" ON "scans" USING btree ("tenant_id","event_id","scanned_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_types_event_type_no_idx" ON "ticket_types" USING btree ("event_id","type_no");--> statement-breakpoint
CREATE INDEX "ticket_types_tenant_idx" ON "ticket_types" USING btree ("tenant_id","event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_event_serial_idx" ON "tickets" USING btree ("event_id","serial");--> statement-breakpoint
CREATE INDEX "tickets_owner_idx" ON "tickets" USING btree ("tenant_id","owner_user_id","id");--> statement-breakpoint
CREATE INDEX "tickets_order_idx" ON "tickets" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "tickets_type_status_idx" ON "tickets" USING btree ("ticket_type_id","status");--> statement-breakpoint
CREATE INDEX "venues_tenant_idx" ON "venues" USING btree ("tenant_id","id");