SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE (("team_id" = ? AND "age" > ?) OR NOT ("team_id" IS NOT NULL));
-- args: 1 40
