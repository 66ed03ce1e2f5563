CREATE TABLE IF NOT EXISTS `mg_team` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `name` VARCHAR(100) NOT NULL UNIQUE,
  `headquarters` TEXT NOT NULL,
  `budget` DOUBLE NOT NULL DEFAULT 0,
  `active` BOOLEAN NOT NULL DEFAULT true
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `mg_power` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `name` VARCHAR(50) NOT NULL,
  `kind` VARCHAR(255) NOT NULL,
  `level` BIGINT NOT NULL,
  UNIQUE INDEX `uix_mg_power_name` (`name`),
  INDEX `ix_mg_power_kind_level` (`kind`, `level`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `mg_hero` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `name` VARCHAR(255) NOT NULL,
  `secret_alias` VARCHAR(64) NOT NULL,
  `age` BIGINT,
  `nickname` TEXT,
  `rank` BIGINT NOT NULL DEFAULT 1,
  `team_id` BIGINT,
  `team_name` VARCHAR(255),
  `mentor_id` BIGINT,
  `version` BIGINT NOT NULL,
  CONSTRAINT `fk_mg_hero_team_id` FOREIGN KEY (`team_id`) REFERENCES `mg_team` (`id`) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT `fk_mg_hero_team_name` FOREIGN KEY (`team_name`) REFERENCES `mg_team` (`name`) ON UPDATE CASCADE,
  CONSTRAINT `fk_mg_hero_mentor_id` FOREIGN KEY (`mentor_id`) REFERENCES `mg_hero` (`id`) ON DELETE SET NULL,
  INDEX `idx_mg_hero_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `mg_hero_power` (
  `mg_hero_id` BIGINT NOT NULL,
  `mg_power_id` INT NOT NULL,
  PRIMARY KEY (`mg_hero_id`, `mg_power_id`),
  CONSTRAINT `fk_mg_hero_power_mg_hero_id` FOREIGN KEY (`mg_hero_id`) REFERENCES `mg_hero` (`id`) ON DELETE CASCADE,
  CONSTRAINT `fk_mg_hero_power_mg_power_id` FOREIGN KEY (`mg_power_id`) REFERENCES `mg_power` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `mg_hero_rival` (
  `hero_id` BIGINT NOT NULL,
  `rival_id` BIGINT NOT NULL,
  PRIMARY KEY (`hero_id`, `rival_id`),
  CONSTRAINT `fk_mg_hero_rival_hero_id` FOREIGN KEY (`hero_id`) REFERENCES `mg_hero` (`id`) ON DELETE CASCADE,
  CONSTRAINT `fk_mg_hero_rival_rival_id` FOREIGN KEY (`rival_id`) REFERENCES `mg_hero` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `mg_membership` (
  `team_id` BIGINT NOT NULL,
  `hero_id` BIGINT NOT NULL,
  `role` VARCHAR(20) NOT NULL DEFAULT 'member',
  `joined_at` DATETIME(6) NOT NULL,
  PRIMARY KEY (`team_id`, `hero_id`),
  CONSTRAINT `fk_mg_membership_team_id` FOREIGN KEY (`team_id`) REFERENCES `mg_team` (`id`) ON DELETE CASCADE ON UPDATE RESTRICT,
  CONSTRAINT `fk_mg_membership_hero_id` FOREIGN KEY (`hero_id`) REFERENCES `mg_hero` (`id`) ON DELETE RESTRICT ON UPDATE NO ACTION
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `mg_membership_note` (
  `id` BIGINT NOT NULL,
  `team_id` BIGINT NOT NULL,
  `hero_id` BIGINT NOT NULL,
  `body` TEXT NOT NULL,
  PRIMARY KEY (`id`),
  CONSTRAINT `fk_mg_membership_note_team_id_hero_id` FOREIGN KEY (`team_id`, `hero_id`) REFERENCES `mg_membership` (`team_id`, `hero_id`) ON DELETE NO ACTION,
  UNIQUE INDEX `uix_mg_note_member` (`team_id`, `hero_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `mg_all_types` (
  `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `int` BIGINT NOT NULL,
  `int8` TINYINT NOT NULL,
  `int16` SMALLINT NOT NULL,
  `int32` INT NOT NULL,
  `int64` BIGINT NOT NULL,
  `uint` BIGINT UNSIGNED NOT NULL,
  `uint8` TINYINT UNSIGNED NOT NULL,
  `uint16` SMALLINT UNSIGNED NOT NULL,
  `uint32` INT UNSIGNED NOT NULL,
  `uint64` BIGINT UNSIGNED NOT NULL,
  `float32` FLOAT NOT NULL,
  `float64` DOUBLE NOT NULL,
  `bool` BOOLEAN NOT NULL,
  `string` TEXT NOT NULL,
  `bytes` LONGBLOB,
  `time` DATETIME(6) NOT NULL,
  `p_int` BIGINT,
  `p_int8` TINYINT,
  `p_int16` SMALLINT,
  `p_int32` INT,
  `p_int64` BIGINT,
  `p_uint` BIGINT UNSIGNED,
  `p_uint8` TINYINT UNSIGNED,
  `p_uint16` SMALLINT UNSIGNED,
  `p_uint32` INT UNSIGNED,
  `p_uint64` BIGINT UNSIGNED,
  `p_float32` FLOAT,
  `p_float64` DOUBLE,
  `p_bool` BOOLEAN,
  `p_string` TEXT,
  `p_bytes` LONGBLOB,
  `p_time` DATETIME(6),
  `null_string` TEXT,
  `null_int64` BIGINT,
  `null_int32` INT,
  `null_int16` SMALLINT,
  `null_byte` TINYINT UNSIGNED,
  `null_float64` DOUBLE,
  `null_bool` BOOLEAN,
  `null_time` DATETIME(6),
  `null_generic` BIGINT,
  `kind` TEXT NOT NULL,
  `level` BIGINT NOT NULL,
  `point` VARCHAR(40) NOT NULL,
  `raw` JSON,
  `meta` JSON,
  `info` JSON NOT NULL,
  `tags` JSON,
  `code` VARCHAR(8) NOT NULL,
  `hash` VARBINARY(32),
  `price` NUMERIC(10,2) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `cmd_hero` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `name` VARCHAR(50) NOT NULL,
  `team_id` BIGINT,
  `age` BIGINT,
  INDEX `idx_cmd_hero_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `cmd_team` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `name` VARCHAR(50) NOT NULL UNIQUE,
  `captain_id` BIGINT,
  CONSTRAINT `fk_cmd_team_captain_id` FOREIGN KEY (`captain_id`) REFERENCES `cmd_hero` (`id`) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
ALTER TABLE `cmd_hero` ADD CONSTRAINT `fk_cmd_hero_team_id` FOREIGN KEY (`team_id`) REFERENCES `cmd_team` (`id`);
