SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE "id" IN ($1, $2, $3);
-- args: 1 3 5
