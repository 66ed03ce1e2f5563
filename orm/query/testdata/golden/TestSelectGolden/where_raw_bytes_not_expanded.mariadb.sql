SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` WHERE (name = ?);
-- args: []byte{0x61, 0x62}
