CREATE TABLE IF NOT EXISTS "hero_power" (
  "hero_id" INTEGER NOT NULL,
  "power_id" INTEGER NOT NULL,
  PRIMARY KEY ("hero_id", "power_id"),
  CONSTRAINT "fk_hero_power_hero_id" FOREIGN KEY ("hero_id") REFERENCES "hero" ("id") ON DELETE CASCADE,
  CONSTRAINT "fk_hero_power_power_id" FOREIGN KEY ("power_id") REFERENCES "power" ("id") ON DELETE CASCADE
);
