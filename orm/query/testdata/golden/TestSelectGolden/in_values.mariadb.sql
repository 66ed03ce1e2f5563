SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` WHERE `id` IN (?, ?, ?);
-- args: 1 3 5
