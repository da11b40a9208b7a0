-- The starting category taxonomy and the 2026 public holidays. Both are data:
-- operators edit them in the tables (categories can be deactivated, never
-- deleted, as tickets refer to them).

INSERT INTO categories (code, name, domain_code, working_days, difficult) VALUES
    ('SANITATION',        '环境卫生',       'ECOLOGICAL_ENVIRONMENT', 3,  false),
    ('ILLEGAL_DUMPING',   '偷倒垃圾',       'ECOLOGICAL_ENVIRONMENT', 3,  false),
    ('STRAW_BURNING',     '焚烧秸秆',       'FIRE_SAFETY',            1,  false),
    ('FIRE_HAZARD',       '消防隐患',       'FIRE_SAFETY',            1,  false),
    ('FIRE_ALARM',        '火情',           'FIRE_SAFETY',            1,  false),
    ('PRODUCTION_HAZARD', '安全生产隐患',   'PRODUCTION_SAFETY',      1,  false),
    ('ROAD_DAMAGE',       '道路破损',       'ROAD_TRAFFIC_SAFETY',    5,  false),
    ('DRAINAGE',          '排水不畅',       'FLOOD_TYPHOON_CONTROL',  3,  false),
    ('RIVER_POLLUTION',   '河道污染',       'ECOLOGICAL_ENVIRONMENT', 5,  false),
    ('MARKET_ORDER',      '市场秩序',       'FOOD_SAFETY',            5,  false),
    ('NEIGHBOUR_DISPUTE', '邻里纠纷',       'SOCIAL_STABILITY',       5,  false),
    ('VEHICLE_SCRAPE',    '车辆碰擦',       'ROAD_TRAFFIC_SAFETY',    3,  false),
    ('LOST_ITEM',         '物品遗失',       'SOCIAL_STABILITY',       3,  false),
    ('ILLEGAL_BUILDING',  '违法建筑',       'CONSTRUCTION_SAFETY',    15, true),
    ('PETITION',          '信访',           'SOCIAL_STABILITY',       15, true),
    ('WORK_INJURY',       '工亡工伤纠纷',   'PRODUCTION_SAFETY',      15, true),
    ('OTHER',             '其他',           'SOCIAL_STABILITY',       5,  false);

INSERT INTO calendar_days (day, kind, name) VALUES
    ('2026-01-01', 'HOLIDAY', '元旦'), ('2026-01-02', 'HOLIDAY', '元旦'),
    ('2026-02-16', 'HOLIDAY', '春节'), ('2026-02-17', 'HOLIDAY', '春节'), ('2026-02-18', 'HOLIDAY', '春节'),
    ('2026-02-19', 'HOLIDAY', '春节'), ('2026-02-20', 'HOLIDAY', '春节'), ('2026-02-23', 'HOLIDAY', '春节'),
    ('2026-02-14', 'WORKDAY', '春节调休'), ('2026-02-28', 'WORKDAY', '春节调休'),
    ('2026-04-06', 'HOLIDAY', '清明节'),
    ('2026-05-01', 'HOLIDAY', '劳动节'), ('2026-05-04', 'HOLIDAY', '劳动节'), ('2026-05-05', 'HOLIDAY', '劳动节'),
    ('2026-05-09', 'WORKDAY', '劳动节调休'),
    ('2026-06-19', 'HOLIDAY', '端午节'),
    ('2026-09-25', 'HOLIDAY', '中秋节'),
    ('2026-10-01', 'HOLIDAY', '国庆节'), ('2026-10-02', 'HOLIDAY', '国庆节'), ('2026-10-05', 'HOLIDAY', '国庆节'),
    ('2026-10-06', 'HOLIDAY', '国庆节'), ('2026-10-07', 'HOLIDAY', '国庆节'),
    ('2026-09-20', 'WORKDAY', '国庆节调休'), ('2026-10-10', 'WORKDAY', '国庆节调休');
