SELECT 1 FROM (SELECT 1 AS `sqlm_one` FROM `qy_hero` WHERE `name` = ? LIMIT 7 OFFSET 2) AS `sqlm_exists` LIMIT 1;
-- args: "Deadpond"
