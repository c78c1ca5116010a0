ALTER TABLE "ticket_changes" ADD COLUMN "holder_key" text;--> statement-breakpoint
ALTER TABLE "ticket_types" ADD COLUMN "holder_code" text DEFAULT 'allowed' NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "holder_public_key" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "holder_key_alg" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "holder_key_binding_no" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "holder_key_bound_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "holder_key" text;--> statement-breakpoint
ALTER TABLE "ticket_types" ADD CONSTRAINT "ticket_types_holder_code_check" CHECK ("ticket_types"."holder_code" IN ('allowed', 'required'));--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_holder_key_check" CHECK (("tickets"."holder_public_key" IS NULL) = ("tickets"."holder_key" IS NULL) AND ("tickets"."holder_key_alg" IS NULL) = ("tickets"."holder_key" IS NULL) AND ("tickets"."holder_key_bound_at" IS NULL) = ("tickets"."holder_key" IS NULL) AND "tickets"."holder_key_alg" IN ('Ed25519', 'ES256') AND "tickets"."holder_key_binding_no" BETWEEN 0 AND 65535);