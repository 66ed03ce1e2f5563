CREATE TABLE IF NOT EXISTS `hero` (
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
  CONSTRAINT `fk_hero_team_id` FOREIGN KEY (`team_id`) REFERENCES `team` (`id`) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT `fk_hero_team_name` FOREIGN KEY (`team_name`) REFERENCES `team` (`name`) ON UPDATE CASCADE,
  CONSTRAINT `fk_hero_mentor_id` FOREIGN KEY (`mentor_id`) REFERENCES `hero` (`id`) ON DELETE SET NULL,
  INDEX `idx_hero_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
