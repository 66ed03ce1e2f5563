SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE "name" LIKE ? ESCAPE '\';
-- args: "50\\%\\_off\\\\%"
