CREATE TABLE "reconciliation_reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"event_id" uuid NOT NULL,
	"trigger" text NOT NULL,
	"run_key" text NOT NULL,
	"status" text NOT NULL,
	"requested_by" text,
	"requested_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"report" jsonb,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "last_report" jsonb;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "last_report_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "mint_status" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "mint_ref" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "mint_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "mint_error" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "minted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "reconciliation_reports" ADD CONSTRAINT "reconciliation_reports_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_reports_run_idx" ON "reconciliation_reports" USING btree ("event_id","run_key");--> statement-breakpoint
CREATE INDEX "reconciliation_reports_event_idx" ON "reconciliation_reports" USING btree ("tenant_id","event_id","requested_at");