SELECT DISTINCT `qy_hero`.`id`, `qy_hero`.`name`, `qy_hero`.`secret_name`, `qy_hero`.`age`, `qy_hero`.`team_id` FROM `qy_hero` JOIN `qy_team` ON (qy_team.id = qy_hero.team_id) WHERE (qy_hero.age > ?) AND `qy_team`.`name` IN (?, ?) ORDER BY `qy_team`.`name` DESC, `qy_hero`.`name` ASC LIMIT 3 OFFSET 1;
-- args: 1 "a" "b"
