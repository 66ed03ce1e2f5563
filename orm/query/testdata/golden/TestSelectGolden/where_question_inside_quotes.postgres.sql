SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE (name <> '?' AND secret_name <> "?" AND id = $1);
-- args: 1
