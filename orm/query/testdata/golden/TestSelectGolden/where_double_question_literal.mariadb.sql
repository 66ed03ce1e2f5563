SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` WHERE (secret_name ? 'k' AND id = ?);
-- args: 1
