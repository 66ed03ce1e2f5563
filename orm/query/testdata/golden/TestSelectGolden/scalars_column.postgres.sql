SELECT "secret_name" FROM "qy_hero" WHERE "team_id" = $1 ORDER BY "name" ASC;
-- args: 2
