SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" ORDER BY "id" ASC LIMIT -1 OFFSET 5;
