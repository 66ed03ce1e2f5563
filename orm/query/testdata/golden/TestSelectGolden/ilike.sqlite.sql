SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE LOWER("name") LIKE LOWER(?) ESCAPE '\';
-- args: "%-man"
