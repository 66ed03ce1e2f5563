DELETE FROM "qy_hero" WHERE "age" < $1 AND (name <> $2);
-- args: 35 "keep"
