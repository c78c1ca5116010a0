ALTER TABLE `device` ADD `clock_measured_at` integer;--> statement-breakpoint
ALTER TABLE `device` ADD `holder_code_max_skew_seconds` integer;--> statement-breakpoint
ALTER TABLE `ticket_types` ADD `holder_code` text DEFAULT 'allowed' NOT NULL;--> statement-breakpoint
-- An enrolled gate measured its clock offset at enrollment (and at every exchange since): not "unknown".
UPDATE `device` SET `clock_measured_at` = `enrolled_at` WHERE `enrolled_at` IS NOT NULL;
