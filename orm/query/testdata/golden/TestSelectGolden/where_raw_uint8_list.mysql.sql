SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` WHERE (age IN (?, ?));
-- args: 0x1 0x2
