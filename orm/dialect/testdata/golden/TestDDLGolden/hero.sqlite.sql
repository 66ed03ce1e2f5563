CREATE TABLE IF NOT EXISTS "hero" (
  "id" INTEGER PRIMARY KEY,
  "name" TEXT NOT NULL,
  "secret_alias" VARCHAR(64) NOT NULL,
  "age" INTEGER,
  "nickname" TEXT,
  "rank" INTEGER NOT NULL DEFAULT 1,
  "team_id" INTEGER,
  "team_name" TEXT,
  "mentor_id" INTEGER,
  "version" INTEGER NOT NULL,
  CONSTRAINT "fk_hero_team_id" FOREIGN KEY ("team_id") REFERENCES "team" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT "fk_hero_team_name" FOREIGN KEY ("team_name") REFERENCES "team" ("name") ON UPDATE CASCADE,
  CONSTRAINT "fk_hero_mentor_id" FOREIGN KEY ("mentor_id") REFERENCES "hero" ("id") ON DELETE SET NULL
);

CREATE INDEX IF NOT EXISTS "idx_hero_name" ON "hero" ("name");
