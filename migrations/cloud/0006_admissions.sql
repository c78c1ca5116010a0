CREATE TABLE "admissions" (
	"event_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"tenant_id" text NOT NULL,
	"serial" bigint NOT NULL,
	"origin" text NOT NULL,
	"origin_seq" bigint NOT NULL,
	"direction" text NOT NULL,
	"at_ms" bigint NOT NULL,
	"gate_id" uuid NOT NULL,
	"gate_name" text,
	"unconfirmed" boolean DEFAULT false NOT NULL,
	"source" text NOT NULL,
	"device_id" uuid,
	"device_seq" bigint,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "admissions_event_id_seq_pk" PRIMARY KEY("event_id","seq")
);
--> statement-breakpoint
ALTER TABLE "device_scans" ADD COLUMN "admission_seq" bigint;--> statement-breakpoint
ALTER TABLE "device_scans" ADD COLUMN "unconfirmed" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "cloud_admission_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "admission_count" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "admission_xor" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "admissions" ADD CONSTRAINT "admissions_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "admissions_origin_idx" ON "admissions" USING btree ("event_id","origin","origin_seq");--> statement-breakpoint
CREATE INDEX "admissions_ticket_idx" ON "admissions" USING btree ("event_id","serial");--> statement-breakpoint
-- Admissions the cloud already held before this table existed — accepted gate uploads and accepted
-- online validations — become records of origin `cloud` (adopted), numbered after each event's head, so
-- an upgrade in the middle of an event keeps every ticket that is inside, inside.
WITH earlier AS (
  SELECT s.event_id, s.tenant_id, s.ticket_serial AS serial, s.direction,
         (extract(epoch FROM coalesce(s.estimated_at, s.scanned_at)) * 1000)::bigint AS at_ms,
         s.gate_id, s.device_id, s.seq AS device_seq
    FROM device_scans s
   WHERE s.accepted = 1 AND s.quarantined = 0 AND s.event_id IS NOT NULL AND s.ticket_serial IS NOT NULL
     AND s.gate_id IS NOT NULL
  UNION ALL
  SELECT o.event_id, o.tenant_id, t.serial, o.direction, (extract(epoch FROM o.scanned_at) * 1000)::bigint,
         o.gate_id, NULL::uuid, NULL::bigint
    FROM scans o JOIN tickets t ON t.id = o.ticket_id
   WHERE o.accepted = 1 AND o.event_id IS NOT NULL
), numbered AS (
  SELECT earlier.*, row_number() OVER (PARTITION BY earlier.event_id ORDER BY at_ms, device_id, device_seq) AS n
    FROM earlier JOIN events e ON e.id = earlier.event_id
)
INSERT INTO admissions (event_id, seq, tenant_id, serial, origin, origin_seq, direction, at_ms, gate_id,
                        gate_name, unconfirmed, source, device_id, device_seq, created_at)
SELECT n.event_id, e.change_seq + n.n, n.tenant_id, n.serial, 'cloud', n.n, n.direction, n.at_ms, n.gate_id,
       g.name, false, 'adopted', n.device_id, n.device_seq, now()
  FROM numbered n JOIN events e ON e.id = n.event_id LEFT JOIN gates g ON g.id = n.gate_id;
--> statement-breakpoint
-- The same hash as shared/sync-protocol/admission-row.ts (ADMISSION_CHECKSUM_SQL), kept as a bigint.
UPDATE events e SET change_seq = e.change_seq + a.n, cloud_admission_seq = a.n, admission_count = a.n,
       admission_xor = a.x
  FROM (SELECT event_id, count(*) AS n,
               bit_xor(('x' || encode(substring(sha256(convert_to(serial || '|' || lower(origin) || '|' ||
                 origin_seq || '|' || direction || '|' || at_ms || '|' || lower(gate_id::text) || '|' ||
                 (case when unconfirmed then 1 else 0 end), 'UTF8')) from 1 for 8), 'hex'))::bit(64)::bigint) AS x
          FROM admissions GROUP BY event_id) a
 WHERE a.event_id = e.id;
