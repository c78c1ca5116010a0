ALTER TABLE "device_scans" ADD COLUMN "undoes_seq" bigint;--> statement-breakpoint
ALTER TABLE "admissions" ADD COLUMN "undoes_origin" text;--> statement-breakpoint
ALTER TABLE "admissions" ADD COLUMN "undoes_origin_seq" bigint;--> statement-breakpoint
ALTER TABLE "admissions" ADD COLUMN "recorded_by" text;--> statement-breakpoint
ALTER TABLE "admissions" ADD COLUMN "note" text;--> statement-breakpoint
CREATE INDEX "admissions_undoes_idx" ON "admissions" USING btree ("event_id","undoes_origin","undoes_origin_seq") WHERE "admissions"."direction" = 'undo';--> statement-breakpoint
ALTER TABLE "admissions" ADD CONSTRAINT "admissions_undoes_check" CHECK (("admissions"."direction" = 'undo' and "admissions"."undoes_origin" is not null and "admissions"."undoes_origin_seq" is not null)
          or ("admissions"."direction" <> 'undo' and "admissions"."undoes_origin" is null and "admissions"."undoes_origin_seq" is null));--> statement-breakpoint
ALTER TABLE "admissions" ADD CONSTRAINT "admissions_note_check" CHECK (char_length("admissions"."note") <= 500);