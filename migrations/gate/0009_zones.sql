ALTER TABLE `admission_log` ADD `from_zone` text;--> statement-breakpoint
ALTER TABLE `admission_log` ADD `to_zone` text;--> statement-breakpoint
ALTER TABLE `events` ADD `zones` text;--> statement-breakpoint
ALTER TABLE `events` ADD `exit_all_at` integer;--> statement-breakpoint
ALTER TABLE `scans` ADD `from_zone` text;--> statement-breakpoint
ALTER TABLE `scans` ADD `to_zone` text;--> statement-breakpoint
ALTER TABLE `ticket_types` ADD `zone_ids` text;