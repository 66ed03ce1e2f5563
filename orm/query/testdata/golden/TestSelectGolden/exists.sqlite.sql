SELECT 1 FROM "qy_hero" WHERE "name" = ? LIMIT 1;
-- args: "Deadpond"
