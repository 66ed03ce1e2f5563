SELECT COUNT(*) FROM "qy_hero" WHERE "age" > $1;
-- args: 30
