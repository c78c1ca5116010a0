CREATE TABLE "device_challenges" (
	"challenge" text PRIMARY KEY NOT NULL,
	"device_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_scans" (
	"device_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"id" uuid,
	"tenant_id" text NOT NULL,
	"gate_id" uuid,
	"event_id" uuid,
	"ticket_serial" bigint,
	"generation" integer,
	"direction" text,
	"accepted" integer,
	"reason" text,
	"detail" text,
	"code_hash" text,
	"scanned_at" timestamp with time zone,
	"clock_offset_ms" bigint,
	"estimated_at" timestamp with time zone,
	"manifest_seq" bigint,
	"quarantined" integer DEFAULT 0 NOT NULL,
	"quarantine_reason" text,
	"raw" jsonb,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "device_scans_device_id_seq_pk" PRIMARY KEY("device_id","seq")
);
--> statement-breakpoint
CREATE TABLE "device_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"device_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"gate_id" uuid NOT NULL,
	"name" text NOT NULL,
	"public_key" text NOT NULL,
	"status" text NOT NULL,
	"event_ids" uuid[],
	"acked_seq" bigint DEFAULT 0 NOT NULL,
	"last_seen_at" timestamp with time zone,
	"last_upload_at" timestamp with time zone,
	"clock_offset_ms" bigint,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "enrollment_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"gate_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"event_ids" uuid[],
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by_device_id" uuid,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "device_challenges" ADD CONSTRAINT "device_challenges_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_scans" ADD CONSTRAINT "device_scans_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_tokens" ADD CONSTRAINT "device_tokens_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_gate_id_gates_id_fk" FOREIGN KEY ("gate_id") REFERENCES "public"."gates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollment_tokens" ADD CONSTRAINT "enrollment_tokens_gate_id_gates_id_fk" FOREIGN KEY ("gate_id") REFERENCES "public"."gates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "device_scans_id_idx" ON "device_scans" USING btree ("id");--> statement-breakpoint
CREATE INDEX "device_scans_event_ticket_idx" ON "device_scans" USING btree ("event_id","ticket_serial","estimated_at");--> statement-breakpoint
CREATE INDEX "device_tokens_expiry_idx" ON "device_tokens" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "devices_tenant_idx" ON "devices" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "enrollment_tokens_hash_idx" ON "enrollment_tokens" USING btree ("token_hash");