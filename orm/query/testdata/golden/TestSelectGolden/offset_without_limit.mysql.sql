SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` ORDER BY `id` ASC LIMIT 18446744073709551615 OFFSET 5;
