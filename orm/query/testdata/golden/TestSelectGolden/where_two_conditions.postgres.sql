SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE (age > $1) AND "name" = $2;
-- args: 1 "x"
