-- An account's village is its resident's or household's: not kept twice.
ALTER TABLE accounts DROP COLUMN village_code;
