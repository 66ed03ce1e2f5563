CREATE TABLE IF NOT EXISTS "power" (
  "id" INTEGER PRIMARY KEY,
  "name" VARCHAR(50) NOT NULL,
  "kind" TEXT NOT NULL,
  "level" INTEGER NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS "uix_power_name" ON "power" ("name");

CREATE INDEX IF NOT EXISTS "ix_power_kind_level" ON "power" ("kind", "level");
