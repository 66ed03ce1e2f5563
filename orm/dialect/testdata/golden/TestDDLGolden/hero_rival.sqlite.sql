CREATE TABLE IF NOT EXISTS "hero_rival" (
  "hero_id" INTEGER NOT NULL,
  "rival_id" INTEGER NOT NULL,
  PRIMARY KEY ("hero_id", "rival_id"),
  CONSTRAINT "fk_hero_rival_hero_id" FOREIGN KEY ("hero_id") REFERENCES "hero" ("id") ON DELETE CASCADE,
  CONSTRAINT "fk_hero_rival_rival_id" FOREIGN KEY ("rival_id") REFERENCES "hero" ("id") ON DELETE CASCADE
);
