SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE "name" = $1;
-- args: "Deadpond"
