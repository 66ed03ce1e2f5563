SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` WHERE `age` BETWEEN ? AND ?;
-- args: 35 48
