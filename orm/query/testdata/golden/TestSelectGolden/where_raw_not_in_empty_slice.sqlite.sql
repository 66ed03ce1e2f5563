SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE (id NOT IN (NULL) IS NULL);
