CREATE TABLE `served_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL
);
