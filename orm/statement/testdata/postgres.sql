-- insert 2 rows
INSERT INTO "st_hero" ("name", "team_id", "version") VALUES ($1, $2, $3), ($4, $5, $6)
-- insert returning
INSERT INTO "st_team" ("name") VALUES ($1) RETURNING "id", "budget"
-- upsert
INSERT INTO "st_team" ("id", "name") VALUES ($1, $2) ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name"
-- link rows ignoring duplicates
INSERT INTO "st_hero_power" ("st_hero_id", "st_power_id") VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING
-- update by key with version
UPDATE "st_hero" SET "name" = $1, "version" = $2 WHERE "id" = $3 AND "version" = $4
-- batched update
UPDATE "st_hero" SET "name" = CASE WHEN "id" = $1 THEN CAST($2 AS TEXT) WHEN "id" = $3 THEN CAST($4 AS TEXT) ELSE "name" END, "team_id" = CASE WHEN "id" = $5 THEN CAST($6 AS BIGINT) WHEN "id" = $7 THEN CAST($8 AS BIGINT) ELSE "team_id" END, "version" = "version" + 1 WHERE ("id", "version") IN (($9, $10), ($11, $12))
-- batched update, composite key
UPDATE "st_membership" SET "role" = CASE WHEN "team_id" = $1 AND "hero_id" = $2 THEN CAST($3 AS TEXT) WHEN "team_id" = $4 AND "hero_id" = $5 THEN CAST($6 AS TEXT) ELSE "role" END WHERE ("team_id", "hero_id") IN (($7, $8), ($9, $10))
-- set null
UPDATE "st_hero" SET "team_id" = NULL WHERE "team_id" IN ($1, $2, $3)
-- delete
DELETE FROM "st_hero" WHERE ("id", "version") IN (($1, $2), ($3, $4))
-- delete composite except
DELETE FROM "st_membership" WHERE "team_id" IN ($1, $2) AND NOT (("team_id", "hero_id") IN (($3, $4)))
-- select by key
SELECT "id", "name", "team_id", "version" FROM "st_hero" WHERE "id" = $1
-- select in, ordered
SELECT "id", "name", "team_id", "version" FROM "st_hero" WHERE "team_id" IN ($1, $2) ORDER BY "name"
-- select linked
SELECT "st_power"."id", "st_power"."name", "st_hero_power"."st_hero_id" FROM "st_power" JOIN "st_hero_power" ON "st_hero_power"."st_power_id" = "st_power"."id" WHERE "st_hero_power"."st_hero_id" IN ($1, $2) ORDER BY "st_power"."name"
