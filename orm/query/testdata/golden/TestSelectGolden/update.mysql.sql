UPDATE `qy_hero` SET `secret_name` = ?, `age` = ? WHERE `team_id` = ?;
-- args: "x" 50 2
