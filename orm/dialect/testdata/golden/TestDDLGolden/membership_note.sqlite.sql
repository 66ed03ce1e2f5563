CREATE TABLE IF NOT EXISTS "membership_note" (
  "id" INTEGER NOT NULL,
  "team_id" INTEGER NOT NULL,
  "hero_id" INTEGER NOT NULL,
  "body" TEXT NOT NULL,
  PRIMARY KEY ("id"),
  CONSTRAINT "fk_membership_note_team_id_hero_id" FOREIGN KEY ("team_id", "hero_id") REFERENCES "membership" ("team_id", "hero_id") ON DELETE NO ACTION
);

CREATE UNIQUE INDEX IF NOT EXISTS "uix_note_member" ON "membership_note" ("team_id", "hero_id");
