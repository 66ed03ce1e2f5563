-- CreateAll
CREATE TABLE IF NOT EXISTS "nest" (
  "id" INTEGER PRIMARY KEY,
  "egg_id" INTEGER,
  CONSTRAINT "fk_nest_egg_id" FOREIGN KEY ("egg_id") REFERENCES "egg" ("id") ON DELETE SET NULL
);

CREATE TABLE IF NOT EXISTS "egg" (
  "id" INTEGER PRIMARY KEY,
  "nest_id" INTEGER NOT NULL,
  CONSTRAINT "fk_egg_nest_id" FOREIGN KEY ("nest_id") REFERENCES "nest" ("id") ON DELETE CASCADE
);

-- DropAll
DROP TABLE IF EXISTS "egg";

DROP TABLE IF EXISTS "nest";
