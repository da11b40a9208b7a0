-- Starting points per category (times severity 1–3), for the categories
-- dispatch knows. The town edits them as data.
INSERT INTO award_rules (category_code, base_points) VALUES
    ('SANITATION',        5),
    ('ILLEGAL_DUMPING',   10),
    ('STRAW_BURNING',     10),
    ('FIRE_HAZARD',       10),
    ('FIRE_ALARM',        10),
    ('PRODUCTION_HAZARD', 10),
    ('ROAD_DAMAGE',       5),
    ('DRAINAGE',          5),
    ('RIVER_POLLUTION',   10),
    ('MARKET_ORDER',      5),
    ('NEIGHBOUR_DISPUTE', 3),
    ('VEHICLE_SCRAPE',    3),
    ('LOST_ITEM',         2),
    ('ILLEGAL_BUILDING',  10),
    ('OTHER',             3);
