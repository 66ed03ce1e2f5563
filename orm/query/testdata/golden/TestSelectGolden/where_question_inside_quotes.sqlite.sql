SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE (name <> '?' AND secret_name <> "?" AND id = ?);
-- args: 1
