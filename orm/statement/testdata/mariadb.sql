-- insert 2 rows
INSERT INTO `st_hero` (`name`, `team_id`, `version`) VALUES (?, ?, ?), (?, ?, ?)
-- insert returning
INSERT INTO `st_team` (`name`) VALUES (?) RETURNING `id`, `budget`
-- upsert
INSERT INTO `st_team` (`id`, `name`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `name` = VALUES(`name`)
-- link rows ignoring duplicates
INSERT INTO `st_hero_power` (`st_hero_id`, `st_power_id`) VALUES (?, ?), (?, ?) ON DUPLICATE KEY UPDATE `st_hero_id` = `st_hero_id`
-- update by key with version
UPDATE `st_hero` SET `name` = ?, `version` = ? WHERE `id` = ? AND `version` = ?
-- batched update
UPDATE `st_hero` SET `name` = CASE WHEN `id` = ? THEN ? WHEN `id` = ? THEN ? ELSE `name` END, `team_id` = CASE WHEN `id` = ? THEN ? WHEN `id` = ? THEN ? ELSE `team_id` END, `version` = `version` + 1 WHERE (`id`, `version`) IN ((?, ?), (?, ?))
-- batched update, composite key
UPDATE `st_membership` SET `role` = CASE WHEN `team_id` = ? AND `hero_id` = ? THEN ? WHEN `team_id` = ? AND `hero_id` = ? THEN ? ELSE `role` END WHERE (`team_id`, `hero_id`) IN ((?, ?), (?, ?))
-- set null
UPDATE `st_hero` SET `team_id` = NULL WHERE `team_id` IN (?, ?, ?)
-- delete
DELETE FROM `st_hero` WHERE (`id`, `version`) IN ((?, ?), (?, ?))
-- delete composite except
DELETE FROM `st_membership` WHERE `team_id` IN (?, ?) AND NOT ((`team_id`, `hero_id`) IN ((?, ?)))
-- select by key
SELECT `id`, `name`, `team_id`, `version` FROM `st_hero` WHERE `id` = ?
-- select in, ordered
SELECT `id`, `name`, `team_id`, `version` FROM `st_hero` WHERE `team_id` IN (?, ?) ORDER BY `name`
-- select linked
SELECT `st_power`.`id`, `st_power`.`name`, `st_hero_power`.`st_hero_id` FROM `st_power` JOIN `st_hero_power` ON `st_hero_power`.`st_power_id` = `st_power`.`id` WHERE `st_hero_power`.`st_hero_id` IN (?, ?) ORDER BY `st_power`.`name`
