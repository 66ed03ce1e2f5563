UPDATE "qy_hero" SET "secret_name" = $1, "age" = $2 WHERE "team_id" = $3;
-- args: "x" 50 2
