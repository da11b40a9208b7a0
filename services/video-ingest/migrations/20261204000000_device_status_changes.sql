-- Every change of a device's status, kept as history: the online rate per
-- owner and grid over time is computed from it. A row is written with each
-- change (`devices::save`), at the time of the change.
CREATE TABLE device_status_changes (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES devices (device_id),
    status     TEXT NOT NULL CHECK (status IN ('UNREGISTERED', 'ONLINE', 'OFFLINE')),
    changed_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX device_status_changes_by_device ON device_status_changes (device_id, changed_at, seq);

-- The history begins with each device's status as it is now, from its last
-- change; what came before is not known.
INSERT INTO device_status_changes (device_id, status, changed_at)
SELECT device_id, status, updated_at FROM devices;
