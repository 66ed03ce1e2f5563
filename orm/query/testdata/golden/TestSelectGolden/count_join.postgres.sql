SELECT COUNT(*) FROM "qy_hero" JOIN "qy_team" ON (qy_team.id = qy_hero.team_id) WHERE "qy_team"."name" = $1;
-- args: "Preventers"
