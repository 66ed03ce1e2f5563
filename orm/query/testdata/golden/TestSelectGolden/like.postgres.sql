SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE "name" LIKE $1 ESCAPE E'\\';
-- args: "%-Man"
