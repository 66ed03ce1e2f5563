SELECT 1 FROM "qy_hero" WHERE "name" = $1 LIMIT 1;
-- args: "Deadpond"
