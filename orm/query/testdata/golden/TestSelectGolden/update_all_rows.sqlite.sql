UPDATE "qy_hero" SET "name" = ?;
-- args: "y"
