SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE "team_id" IS NOT NULL;
