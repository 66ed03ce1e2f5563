SELECT 1 FROM (SELECT DISTINCT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` LIMIT 0) AS `sqlm_exists` LIMIT 1;
