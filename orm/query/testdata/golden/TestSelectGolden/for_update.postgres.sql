SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE "id" = $1 FOR UPDATE;
-- args: 1
