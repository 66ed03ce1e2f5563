SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE "age" BETWEEN $1 AND $2;
-- args: 35 48
