-- The SQL points runs at 28db1853b9a5 (2026-11-30), from its literals;
-- 4 statement(s) built at run time are not here.
-- Written by scripts/release-queries.py; checked by tests/tests/previous_release.rs.

INSERT INTO accounts (account_id, kind, village_code) VALUES ($1, $2, $3);
INSERT INTO catalog_items (code, name, kind, cost, stock, village_codes, active, updated_at) VALUES ($1, $2, $3, $4, $5 + $9, $6, $7, $8) ON CONFLICT (code) DO UPDATE SET name = $2, kind = $3, cost = $4, stock = catalog_items.stock + $9, village_codes = $6, active = $7, updated_at = $8 RETURNING code, name, kind, cost, stock, village_codes, active;
INSERT INTO expiry_runs (year, ran_at, accounts, points) VALUES ($1, now(), $2, $3) ON CONFLICT (year) DO UPDATE SET ran_at = now(), accounts = expiry_runs.accounts + $2, points = expiry_runs.points + $3;
INSERT INTO households (household_id, village_code, label, created_at) VALUES ($1, $2, $3, $4);
INSERT INTO ledger_entries (entry_id, key, account_id, kind, amount, balance_after, at, resident_id, report_id, order_id, reason, operator) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING entry_id, key, account_id, kind, amount, balance_after, at, resident_id, report_id, order_id, reason, operator;
INSERT INTO orders (order_id, resident_id, account_id, item_code, quantity, points, state, pickup_code, ordered_at, closed_at, reason, operator) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);
INSERT INTO reports (report_id, resident_id, account_id, category_code, severity, text, photos, lat, lng, status, ticket_id, ticket_number, duplicate_of, pending_points, awarded_points, reversed_points, submitted_at, local_day, operator, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20);
INSERT INTO residents (resident_id, openid, code, name, phone, village_code, household_id, active, registered_at, operator) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);
SELECT COALESCE(SUM(awarded_points - reversed_points) FILTER (WHERE local_day = $2), 0)::bigint, COALESCE(SUM(awarded_points - reversed_points), 0)::bigint FROM reports WHERE resident_id = $1 AND report_id <> $3 AND local_day >= date_trunc('month', $2::date)::date AND local_day < (date_trunc('month', $2::date) + interval '1 month')::date;
SELECT COALESCE(SUM(pending_points), 0)::bigint FROM reports WHERE account_id = $1 AND status = ANY($2);
SELECT EXISTS (SELECT 1 FROM expiry_runs WHERE year = $1);
SELECT account_id FROM accounts WHERE balance > 0 ORDER BY account_id;
SELECT account_id, kind, village_code, balance FROM accounts WHERE account_id = $1;
SELECT balance FROM accounts WHERE account_id = $1 FOR UPDATE;
SELECT base_points FROM award_rules WHERE category_code = $1 AND active;
SELECT category_code FROM award_rules WHERE active ORDER BY category_code;
SELECT category_code, base_points, active FROM award_rules ORDER BY category_code;
SELECT code, name, kind, cost, stock, village_codes, active FROM catalog_items WHERE code = $1;
SELECT entry_id, key, account_id, kind, amount, balance_after, at, resident_id, report_id, order_id, reason, operator FROM ledger_entries WHERE account_id = $1 ORDER BY seq;
SELECT entry_id, key, account_id, kind, amount, balance_after, at, resident_id, report_id, order_id, reason, operator FROM ledger_entries WHERE key = $1;
SELECT order_id, resident_id, account_id, item_code, quantity, points, state, pickup_code, ordered_at, closed_at, reason, operator FROM orders WHERE order_id = $1 FOR UPDATE;
SELECT pg_advisory_xact_lock(hashtext('points.report:' || $1));
SELECT report_id, resident_id, account_id, category_code, severity, text, photos, lat, lng, status, ticket_id, ticket_number, duplicate_of, pending_points, awarded_points, reversed_points, submitted_at, local_day, operator, updated_at FROM reports WHERE account_id = $1 AND status = 'REJECTED' AND awarded_points > reversed_points ORDER BY updated_at, report_id FOR UPDATE SKIP LOCKED;
SELECT report_id, resident_id, account_id, category_code, severity, text, photos, lat, lng, status, ticket_id, ticket_number, duplicate_of, pending_points, awarded_points, reversed_points, submitted_at, local_day, operator, updated_at FROM reports WHERE category_code = $1 AND submitted_at >= $6 AND status NOT IN ('REJECTED', 'DUPLICATE') AND lat BETWEEN $2 - $4 AND $2 + $4 AND lng BETWEEN $3 - $5 AND $3 + $5 ORDER BY submitted_at;
SELECT report_id, resident_id, account_id, category_code, severity, text, photos, lat, lng, status, ticket_id, ticket_number, duplicate_of, pending_points, awarded_points, reversed_points, submitted_at, local_day, operator, updated_at FROM reports WHERE resident_id = $1 AND ($2::timestamptz IS NULL OR (submitted_at, report_id) < ($2, $3)) ORDER BY submitted_at DESC, report_id DESC LIMIT $4;
SELECT resident_id, openid, code, name, phone, village_code, household_id, active, registered_at, operator FROM residents WHERE resident_id = $1 FOR UPDATE;
SELECT village_code FROM households WHERE household_id = $1;
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY;
UPDATE accounts SET balance = $2 WHERE account_id = $1;
UPDATE award_rules SET base_points = $2, active = $3 WHERE category_code = $1 RETURNING category_code, base_points, active;
UPDATE catalog_items SET stock = stock + $2 WHERE code = $1;
UPDATE catalog_items SET stock = stock - $2 WHERE code = $1 AND active AND stock >= $2 RETURNING code, name, kind, cost, stock, village_codes, active;
UPDATE orders SET state = $2, closed_at = $3, reason = $4, operator = $5 WHERE order_id = $1;
UPDATE reports SET status = $2, ticket_id = $3, ticket_number = $4, duplicate_of = $5, pending_points = $6, awarded_points = $7, reversed_points = $8, updated_at = $9 WHERE report_id = $1;
UPDATE residents SET active = false, deactivated_at = $2, deactivation_reason = $3 WHERE resident_id = $1;
