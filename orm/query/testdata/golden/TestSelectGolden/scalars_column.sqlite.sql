SELECT "secret_name" FROM "qy_hero" WHERE "team_id" = ? ORDER BY "name" ASC;
-- args: 2
