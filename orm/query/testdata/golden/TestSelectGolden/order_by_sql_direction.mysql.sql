SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` ORDER BY `name` DESC, `age` ASC, `id` DESC;
