SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE (id IN (NULL) IS NOT NULL);
