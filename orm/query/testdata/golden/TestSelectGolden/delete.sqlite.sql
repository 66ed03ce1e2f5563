DELETE FROM "qy_hero" WHERE "age" < ? AND (name <> ?);
-- args: 35 "keep"
