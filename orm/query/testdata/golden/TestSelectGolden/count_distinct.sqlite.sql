SELECT COUNT(*) FROM (SELECT DISTINCT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" LIMIT 2) AS "sqlm_count";
