-- What the case is decides who handles it: each category names the duties
-- of its domain's responsibility chain whose units take its tickets, in the
-- order the desk picks from. The usual order is a regulator of the domain,
-- then a co-manager, the workstation, the micro-grid. The cases the police
-- pass on as non-police 110 calls are the town's: a neighbour dispute goes
-- to the co-managing mediators (the judicial office) and the village, a
-- lost item and a scraped car to the village and its micro-grid, never
-- back to the police station that regulates their domain.
ALTER TABLE categories
    ADD COLUMN handled_by TEXT[] NOT NULL
        DEFAULT ARRAY['REGULATOR', 'CO_MANAGEMENT', 'WORKSTATION', 'MICRO_GRID_LEADER']
        CONSTRAINT categories_handled_by_check CHECK (
            cardinality(handled_by) > 0
            AND handled_by <@ ARRAY['REGULATOR', 'CO_MANAGEMENT', 'WORKSTATION', 'MICRO_GRID_LEADER']
        );

UPDATE categories SET handled_by = ARRAY['CO_MANAGEMENT', 'WORKSTATION', 'MICRO_GRID_LEADER']
    WHERE code = 'NEIGHBOUR_DISPUTE';
UPDATE categories SET handled_by = ARRAY['WORKSTATION', 'MICRO_GRID_LEADER']
    WHERE code IN ('LOST_ITEM', 'VEHICLE_SCRAPE');
