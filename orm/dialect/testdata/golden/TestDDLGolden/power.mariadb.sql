CREATE TABLE IF NOT EXISTS `power` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `name` VARCHAR(50) NOT NULL,
  `kind` VARCHAR(255) NOT NULL,
  `level` BIGINT NOT NULL,
  UNIQUE INDEX `uix_power_name` (`name`),
  INDEX `ix_power_kind_level` (`kind`, `level`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
