UPDATE "qy_hero" SET "name" = $1;
-- args: "y"
