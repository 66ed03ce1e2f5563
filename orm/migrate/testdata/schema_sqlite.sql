CREATE TABLE IF NOT EXISTS "mg_team" (
  "id" INTEGER PRIMARY KEY,
  "name" VARCHAR(100) NOT NULL UNIQUE,
  "headquarters" TEXT NOT NULL,
  "budget" REAL NOT NULL DEFAULT 0,
  "active" BOOLEAN NOT NULL DEFAULT true
);
CREATE TABLE IF NOT EXISTS "mg_power" (
  "id" INTEGER PRIMARY KEY,
  "name" VARCHAR(50) NOT NULL,
  "kind" TEXT NOT NULL,
  "level" INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS "mg_hero" (
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
  CONSTRAINT "fk_mg_hero_team_id" FOREIGN KEY ("team_id") REFERENCES "mg_team" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT "fk_mg_hero_team_name" FOREIGN KEY ("team_name") REFERENCES "mg_team" ("name") ON UPDATE CASCADE,
  CONSTRAINT "fk_mg_hero_mentor_id" FOREIGN KEY ("mentor_id") REFERENCES "mg_hero" ("id") ON DELETE SET NULL
);
CREATE TABLE IF NOT EXISTS "mg_hero_power" (
  "mg_hero_id" INTEGER NOT NULL,
  "mg_power_id" INTEGER NOT NULL,
  PRIMARY KEY ("mg_hero_id", "mg_power_id"),
  CONSTRAINT "fk_mg_hero_power_mg_hero_id" FOREIGN KEY ("mg_hero_id") REFERENCES "mg_hero" ("id") ON DELETE CASCADE,
  CONSTRAINT "fk_mg_hero_power_mg_power_id" FOREIGN KEY ("mg_power_id") REFERENCES "mg_power" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "mg_hero_rival" (
  "hero_id" INTEGER NOT NULL,
  "rival_id" INTEGER NOT NULL,
  PRIMARY KEY ("hero_id", "rival_id"),
  CONSTRAINT "fk_mg_hero_rival_hero_id" FOREIGN KEY ("hero_id") REFERENCES "mg_hero" ("id") ON DELETE CASCADE,
  CONSTRAINT "fk_mg_hero_rival_rival_id" FOREIGN KEY ("rival_id") REFERENCES "mg_hero" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "mg_membership" (
  "team_id" INTEGER NOT NULL,
  "hero_id" INTEGER NOT NULL,
  "role" VARCHAR(20) NOT NULL DEFAULT 'member',
  "joined_at" DATETIME NOT NULL,
  PRIMARY KEY ("team_id", "hero_id"),
  CONSTRAINT "fk_mg_membership_team_id" FOREIGN KEY ("team_id") REFERENCES "mg_team" ("id") ON DELETE CASCADE ON UPDATE RESTRICT,
  CONSTRAINT "fk_mg_membership_hero_id" FOREIGN KEY ("hero_id") REFERENCES "mg_hero" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION
);
CREATE TABLE IF NOT EXISTS "mg_membership_note" (
  "id" INTEGER NOT NULL,
  "team_id" INTEGER NOT NULL,
  "hero_id" INTEGER NOT NULL,
  "body" TEXT NOT NULL,
  PRIMARY KEY ("id"),
  CONSTRAINT "fk_mg_membership_note_team_id_hero_id" FOREIGN KEY ("team_id", "hero_id") REFERENCES "mg_membership" ("team_id", "hero_id") ON DELETE NO ACTION
);
CREATE TABLE IF NOT EXISTS "mg_all_types" (
  "id" INTEGER PRIMARY KEY,
  "int" INTEGER NOT NULL,
  "int8" INTEGER NOT NULL,
  "int16" INTEGER NOT NULL,
  "int32" INTEGER NOT NULL,
  "int64" INTEGER NOT NULL,
  "uint" INTEGER NOT NULL,
  "uint8" INTEGER NOT NULL,
  "uint16" INTEGER NOT NULL,
  "uint32" INTEGER NOT NULL,
  "uint64" INTEGER NOT NULL,
  "float32" REAL NOT NULL,
  "float64" REAL NOT NULL,
  "bool" BOOLEAN NOT NULL,
  "string" TEXT NOT NULL,
  "bytes" BLOB,
  "time" DATETIME NOT NULL,
  "p_int" INTEGER,
  "p_int8" INTEGER,
  "p_int16" INTEGER,
  "p_int32" INTEGER,
  "p_int64" INTEGER,
  "p_uint" INTEGER,
  "p_uint8" INTEGER,
  "p_uint16" INTEGER,
  "p_uint32" INTEGER,
  "p_uint64" INTEGER,
  "p_float32" REAL,
  "p_float64" REAL,
  "p_bool" BOOLEAN,
  "p_string" TEXT,
  "p_bytes" BLOB,
  "p_time" DATETIME,
  "null_string" TEXT,
  "null_int64" INTEGER,
  "null_int32" INTEGER,
  "null_int16" INTEGER,
  "null_byte" INTEGER,
  "null_float64" REAL,
  "null_bool" BOOLEAN,
  "null_time" DATETIME,
  "null_generic" INTEGER,
  "kind" TEXT NOT NULL,
  "level" INTEGER NOT NULL,
  "point" VARCHAR(40) NOT NULL,
  "raw" TEXT,
  "meta" TEXT,
  "info" TEXT NOT NULL,
  "tags" TEXT,
  "code" VARCHAR(8) NOT NULL,
  "hash" BLOB,
  "price" NUMERIC(10,2) NOT NULL
);
CREATE TABLE IF NOT EXISTS "cmd_hero" (
  "id" INTEGER PRIMARY KEY,
  "name" VARCHAR(50) NOT NULL,
  "team_id" INTEGER,
  "age" INTEGER,
  CONSTRAINT "fk_cmd_hero_team_id" FOREIGN KEY ("team_id") REFERENCES "cmd_team" ("id")
);
CREATE TABLE IF NOT EXISTS "cmd_team" (
  "id" INTEGER PRIMARY KEY,
  "name" VARCHAR(50) NOT NULL UNIQUE,
  "captain_id" INTEGER,
  CONSTRAINT "fk_cmd_team_captain_id" FOREIGN KEY ("captain_id") REFERENCES "cmd_hero" ("id") ON DELETE SET NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS "uix_mg_power_name" ON "mg_power" ("name");
CREATE INDEX IF NOT EXISTS "ix_mg_power_kind_level" ON "mg_power" ("kind", "level");
CREATE INDEX IF NOT EXISTS "idx_mg_hero_name" ON "mg_hero" ("name");
CREATE UNIQUE INDEX IF NOT EXISTS "uix_mg_note_member" ON "mg_membership_note" ("team_id", "hero_id");
CREATE INDEX IF NOT EXISTS "idx_cmd_hero_name" ON "cmd_hero" ("name");
