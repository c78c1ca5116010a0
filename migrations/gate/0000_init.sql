CREATE TABLE `admissions` (
	`event_id` text NOT NULL,
	`serial` integer NOT NULL,
	`direction` text NOT NULL,
	`at` integer NOT NULL,
	`gate_id` text NOT NULL,
	`gate_name` text,
	`scan_seq` integer NOT NULL,
	PRIMARY KEY(`event_id`, `serial`)
);
--> statement-breakpoint
CREATE TABLE `device` (
	`id` integer PRIMARY KEY NOT NULL,
	`device_id` text,
	`private_key` blob,
	`public_key` blob,
	`name` text,
	`cloud_url` text,
	`gate_id` text,
	`gate_name` text,
	`venue_id` text,
	`port` integer,
	`access_token` text,
	`access_token_expires_at` integer,
	`enrolled_at` integer,
	`clock_offset_ms` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `event_keys` (
	`event_id` text NOT NULL,
	`key_version` integer NOT NULL,
	`key` blob NOT NULL,
	PRIMARY KEY(`event_id`, `key_version`)
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`doors_open_at` integer,
	`timezone` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `scans` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`gate_id` text,
	`event_id` text,
	`serial` integer,
	`generation` integer,
	`direction` text NOT NULL,
	`decision` text NOT NULL,
	`reason` text NOT NULL,
	`detail` text,
	`code_hash` text NOT NULL,
	`scanned_at` integer NOT NULL,
	`clock_offset_ms` integer NOT NULL,
	`manifest_seq` integer NOT NULL,
	`uploaded` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `scans_id_unique` ON `scans` (`id`);--> statement-breakpoint
CREATE INDEX `scans_pending_idx` ON `scans` (`uploaded`,`seq`);--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`key_id` integer PRIMARY KEY NOT NULL,
	`public_key` blob NOT NULL,
	`source` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_cursors` (
	`event_id` text PRIMARY KEY NOT NULL,
	`epoch` text NOT NULL,
	`after` integer NOT NULL,
	`head` integer NOT NULL,
	`row_count` integer NOT NULL,
	`checksum` text NOT NULL,
	`live_copy` integer NOT NULL,
	`last_sync_at` integer,
	`clock_offset_ms` integer DEFAULT 0 NOT NULL,
	`needs_snapshot` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_staging` (
	`event_id` text PRIMARY KEY NOT NULL,
	`copy` integer NOT NULL,
	`epoch` text NOT NULL,
	`after` integer NOT NULL,
	`head` integer NOT NULL,
	`row_count` integer NOT NULL,
	`checksum` text NOT NULL,
	`event_json` text NOT NULL,
	`started_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ticket_types` (
	`event_id` text NOT NULL,
	`type_no` integer NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`gate_ids` text,
	PRIMARY KEY(`event_id`, `type_no`)
);
--> statement-breakpoint
CREATE TABLE `tickets` (
	`event_id` text NOT NULL,
	`copy` integer NOT NULL,
	`serial` integer NOT NULL,
	`type_no` integer NOT NULL,
	`generation` integer NOT NULL,
	`status` text NOT NULL,
	`digest` text NOT NULL,
	`seq` integer NOT NULL,
	PRIMARY KEY(`event_id`, `copy`, `serial`)
);
--> statement-breakpoint
CREATE TABLE `upload_cursor` (
	`id` integer PRIMARY KEY NOT NULL,
	`acked_seq` integer DEFAULT 0 NOT NULL,
	`last_upload_at` integer
);
