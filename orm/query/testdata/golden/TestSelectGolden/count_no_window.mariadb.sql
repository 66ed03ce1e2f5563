SELECT COUNT(*) FROM `qy_hero` WHERE `age` > ?;
-- args: 30
