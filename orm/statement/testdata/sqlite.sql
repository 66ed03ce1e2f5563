-- insert 2 rows
INSERT INTO "st_hero" ("name", "team_id", "version") VALUES (?, ?, ?), (?, ?, ?)
-- insert returning
INSERT INTO "st_team" ("name") VALUES (?) RETURNING "id", "budget"
-- upsert
INSERT INTO "st_team" ("id", "name") VALUES (?, ?) ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name"
-- link rows ignoring duplicates
INSERT INTO "st_hero_power" ("st_hero_id", "st_power_id") VALUES (?, ?), (?, ?) ON CONFLICT DO NOTHING
-- update by key with version
UPDATE "st_hero" SET "name" = ?, "version" = ? WHERE "id" = ? AND "version" = ?
-- batched update
UPDATE "st_hero" SET "name" = CASE WHEN "id" = ? THEN ? WHEN "id" = ? THEN ? ELSE "name" END, "team_id" = CASE WHEN "id" = ? THEN ? WHEN "id" = ? THEN ? ELSE "team_id" END, "version" = "version" + 1 WHERE ("id", "version") IN ((?, ?), (?, ?))
-- batched update, composite key
UPDATE "st_membership" SET "role" = CASE WHEN "team_id" = ? AND "hero_id" = ? THEN ? WHEN "team_id" = ? AND "hero_id" = ? THEN ? ELSE "role" END WHERE ("team_id", "hero_id") IN ((?, ?), (?, ?))
-- batched update from values
UPDATE "st_hero" SET "name" = "_v"."column2", "team_id" = "_v"."column3", "version" = "st_hero"."version" + 1 FROM (VALUES (?, ?, ?, ?), (?, ?, ?, ?)) AS "_v" WHERE "st_hero"."id" = "_v"."column1" AND "st_hero"."version" = "_v"."column4"
-- batched update from values, composite key
UPDATE "st_membership" SET "role" = "_v"."column3" FROM (VALUES (?, ?, ?), (?, ?, ?)) AS "_v" WHERE "st_membership"."team_id" = "_v"."column1" AND "st_membership"."hero_id" = "_v"."column2"
-- set null
UPDATE "st_hero" SET "team_id" = NULL WHERE "team_id" IN (?, ?, ?)
-- delete
DELETE FROM "st_hero" WHERE ("id", "version") IN ((?, ?), (?, ?))
-- delete composite except
DELETE FROM "st_membership" WHERE "team_id" IN (?, ?) AND NOT (("team_id", "hero_id") IN ((?, ?)))
-- select by key
SELECT "id", "name", "team_id", "version" FROM "st_hero" WHERE "id" = ?
-- select in, ordered
SELECT "id", "name", "team_id", "version" FROM "st_hero" WHERE "team_id" IN (?, ?) ORDER BY "name"
-- select linked
SELECT "st_power"."id", "st_power"."name", "st_hero_power"."st_hero_id" FROM "st_power" JOIN "st_hero_power" ON "st_hero_power"."st_power_id" = "st_power"."id" WHERE "st_hero_power"."st_hero_id" IN (?, ?) ORDER BY "st_power"."name"
