CREATE TABLE "venue_zones" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"venue_id" uuid NOT NULL,
	"name" text NOT NULL,
	"capacity" integer,
	"restricted" boolean DEFAULT false NOT NULL,
	"reentry" boolean DEFAULT true NOT NULL,
	"position" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "venue_zones_capacity_check" CHECK ("venue_zones"."capacity" is null or "venue_zones"."capacity" >= 0)
);
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "exit_all_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "gates" ADD COLUMN "from_zone_id" uuid;--> statement-breakpoint
ALTER TABLE "gates" ADD COLUMN "to_zone_id" uuid;--> statement-breakpoint
ALTER TABLE "ticket_types" ADD COLUMN "zone_ids" uuid[];--> statement-breakpoint
ALTER TABLE "admissions" ADD COLUMN "from_zone" text;--> statement-breakpoint
ALTER TABLE "admissions" ADD COLUMN "to_zone" text;--> statement-breakpoint
ALTER TABLE "venue_zones" ADD CONSTRAINT "venue_zones_venue_id_venues_id_fk" FOREIGN KEY ("venue_id") REFERENCES "public"."venues"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "venue_zones_venue_idx" ON "venue_zones" USING btree ("tenant_id","venue_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "venue_zones_name_idx" ON "venue_zones" USING btree ("venue_id",lower("name"));--> statement-breakpoint
ALTER TABLE "gates" ADD CONSTRAINT "gates_from_zone_id_venue_zones_id_fk" FOREIGN KEY ("from_zone_id") REFERENCES "public"."venue_zones"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gates" ADD CONSTRAINT "gates_to_zone_id_venue_zones_id_fk" FOREIGN KEY ("to_zone_id") REFERENCES "public"."venue_zones"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gates" ADD CONSTRAINT "gates_passage_check" CHECK ("gates"."from_zone_id" is null or "gates"."to_zone_id" is null or "gates"."from_zone_id" <> "gates"."to_zone_id");--> statement-breakpoint
ALTER TABLE "admissions" ADD CONSTRAINT "admissions_zones_check" CHECK (("admissions"."from_zone" is null and "admissions"."to_zone" is null)
          or ("admissions"."direction" <> 'undo' and "admissions"."from_zone" is not null and "admissions"."to_zone" is not null));