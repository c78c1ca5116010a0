CREATE TABLE `admission_log` (
	`event_id` text NOT NULL,
	`origin` text NOT NULL,
	`origin_seq` integer NOT NULL,
	`serial` integer NOT NULL,
	`direction` text NOT NULL,
	`at` integer NOT NULL,
	`gate_id` text NOT NULL,
	`gate_name` text,
	`unconfirmed` integer DEFAULT false NOT NULL,
	`signature` text,
	`source` text NOT NULL,
	`received_at` integer NOT NULL,
	`scan_seq` integer,
	PRIMARY KEY(`event_id`, `origin`, `origin_seq`)
);
--> statement-breakpoint
CREATE INDEX `admission_log_ticket` ON `admission_log` (`event_id`,`serial`);--> statement-breakpoint
CREATE TABLE `peers` (
	`event_id` text NOT NULL,
	`device_id` text NOT NULL,
	`public_key` text NOT NULL,
	`gate_id` text NOT NULL,
	`gate_name` text NOT NULL,
	`address` text,
	PRIMARY KEY(`event_id`, `device_id`)
);
--> statement-breakpoint
ALTER TABLE `scans` ADD `admission_seq` integer;--> statement-breakpoint
ALTER TABLE `scans` ADD `unconfirmed` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_cursors` ADD `admission_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_cursors` ADD `admission_checksum` text DEFAULT '0000000000000000' NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_staging` ADD `admission_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_staging` ADD `admission_checksum` text DEFAULT '0000000000000000' NOT NULL;--> statement-breakpoint
-- Admissions recorded before the log existed (one row per ticket: its last accepted scan here) become
-- records of origin `legacy`, numbered by their scan, so a gate upgraded mid-event still refuses a
-- ticket already inside. They stay on this gate: peers and the cloud learn of them from the scan upload.
INSERT INTO `admission_log` (`event_id`, `origin`, `origin_seq`, `serial`, `direction`, `at`, `gate_id`, `gate_name`, `unconfirmed`, `signature`, `source`, `received_at`, `scan_seq`)
  SELECT `event_id`, 'legacy', `scan_seq`, `serial`, `direction`, `at`, `gate_id`, `gate_name`, 0, NULL, 'local', `at`, `scan_seq` FROM `admissions`;
