SELECT "team_id" FROM "qy_hero" GROUP BY "team_id" HAVING (COUNT(*) > ?) ORDER BY "team_id" ASC;
-- args: 2
