SELECT DISTINCT `qy_team`.`id`, `qy_team`.`name` FROM `qy_team` JOIN `qy_hero` ON (qy_hero.team_id = qy_team.id) ORDER BY `qy_team`.`name` ASC;
