SELECT "team_id" FROM "qy_hero" GROUP BY "team_id" HAVING (COUNT(*) > $1) ORDER BY "team_id" ASC;
-- args: 2
