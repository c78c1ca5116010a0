ALTER TABLE `admission_log` ADD `undoes_origin` text;--> statement-breakpoint
ALTER TABLE `admission_log` ADD `undoes_origin_seq` integer;--> statement-breakpoint
ALTER TABLE `scans` ADD `undoes_seq` integer;