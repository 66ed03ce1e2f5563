SELECT "qy_hero"."id", "qy_hero"."name", "qy_hero"."secret_name", "qy_hero"."age", "qy_hero"."team_id" FROM "qy_hero" JOIN "qy_team" ON (qy_team.id = qy_hero.team_id) WHERE "qy_team"."name" = $1 ORDER BY "qy_hero"."id" ASC;
-- args: "Preventers"
