SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE (name IN ($1, $2) AND age > $3);
-- args: "a" "b" 7
