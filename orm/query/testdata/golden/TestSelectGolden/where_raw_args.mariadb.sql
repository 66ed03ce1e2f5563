SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` WHERE (age > ? AND name <> ?);
-- args: 30 "x"
