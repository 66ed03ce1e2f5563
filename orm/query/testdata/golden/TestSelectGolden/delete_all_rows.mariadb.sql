DELETE FROM `qy_hero`;
