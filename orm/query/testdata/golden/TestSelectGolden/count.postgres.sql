SELECT COUNT(*) FROM (SELECT 1 AS "sqlm_one" FROM "qy_hero" WHERE "age" > $1 LIMIT 2 OFFSET 1) AS "sqlm_count";
-- args: 30
