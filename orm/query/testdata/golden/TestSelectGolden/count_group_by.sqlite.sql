SELECT COUNT(*) FROM (SELECT 1 AS "sqlm_one" FROM "qy_hero" GROUP BY "team_id" HAVING (COUNT(*) > ?)) AS "sqlm_count";
-- args: 1
