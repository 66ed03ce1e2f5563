CREATE TABLE IF NOT EXISTS `membership` (
  `team_id` BIGINT NOT NULL,
  `hero_id` BIGINT NOT NULL,
  `role` VARCHAR(20) NOT NULL DEFAULT 'member',
  `joined_at` DATETIME(6) NOT NULL,
  PRIMARY KEY (`team_id`, `hero_id`),
  CONSTRAINT `fk_membership_team_id` FOREIGN KEY (`team_id`) REFERENCES `team` (`id`) ON DELETE CASCADE ON UPDATE RESTRICT,
  CONSTRAINT `fk_membership_hero_id` FOREIGN KEY (`hero_id`) REFERENCES `hero` (`id`) ON DELETE RESTRICT ON UPDATE NO ACTION
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
