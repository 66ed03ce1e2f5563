SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` ORDER BY `age` DESC, `secret_name` ASC;
