CREATE TABLE IF NOT EXISTS `membership_note` (
  `id` BIGINT NOT NULL,
  `team_id` BIGINT NOT NULL,
  `hero_id` BIGINT NOT NULL,
  `body` TEXT NOT NULL,
  PRIMARY KEY (`id`),
  CONSTRAINT `fk_membership_note_team_id_hero_id` FOREIGN KEY (`team_id`, `hero_id`) REFERENCES `membership` (`team_id`, `hero_id`) ON DELETE NO ACTION,
  UNIQUE INDEX `uix_note_member` (`team_id`, `hero_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
