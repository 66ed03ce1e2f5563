SELECT DISTINCT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero";
