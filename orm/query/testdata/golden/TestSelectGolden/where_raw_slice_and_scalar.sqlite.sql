SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE (name IN (?, ?) AND age > ?);
-- args: "a" "b" 7
