SELECT 1 FROM (SELECT 1 AS "sqlm_one" FROM "qy_hero" LIMIT -1 OFFSET 100) AS "sqlm_exists" LIMIT 1;
