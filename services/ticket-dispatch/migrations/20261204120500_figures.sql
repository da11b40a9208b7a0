-- Figures that mean what they say.
--
-- 签收时限: how long a unit may take to sign for a leg (a dispatch, a
-- redispatch, an escalation, a reopening, a co-handler's task), per
-- channel, in minutes from the moment the leg was given. 按时签收率 counts
-- the legs signed within it. Inside the channel's own limit (110: feedback
-- within 2 h; 12345: within 24 h) the signature comes early enough to leave
-- the unit the time to handle and answer: 30 minutes for 110, 2 hours for
-- 12345 (the hotline's usual rule); one day for the channels that have no
-- limit of their own.
CREATE TABLE channel_signing_limits (
    channel TEXT PRIMARY KEY CHECK (channel IN ('HOTLINE_12345', 'NON_POLICE_110', 'GRID_PATROL',
        'VILLAGER_APP', 'VIDEO_ALARM', 'CROSS_BORDER', 'DEPARTMENT', 'OPEN311')),
    minutes INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 10080)
);
INSERT INTO channel_signing_limits (channel, minutes) VALUES
    ('NON_POLICE_110', 30),
    ('HOTLINE_12345', 120),
    ('GRID_PATROL', 1440),
    ('VILLAGER_APP', 1440),
    ('VIDEO_ALARM', 1440),
    ('CROSS_BORDER', 1440),
    ('DEPARTMENT', 1440),
    ('OPEN311', 1440);

-- Every follow-up's answer (回访), on its history entry: the reporter's
-- rating 1–5 (满意率 counts every rating given, not the last only) and
-- whether the reporter says the problem is solved (实际解决率), when asked.
ALTER TABLE ticket_transitions ADD COLUMN satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5);
ALTER TABLE ticket_transitions ADD COLUMN solved BOOLEAN;
-- The follow-ups recorded before: the ticket kept the last rating only,
-- which belongs to its last follow-up.
UPDATE ticket_transitions tr SET satisfaction = t.satisfaction
FROM tickets t
WHERE tr.ticket_id = t.ticket_id AND t.satisfaction IS NOT NULL AND tr.action = 'follow_up'
  AND tr.transition_id = (SELECT max(last.transition_id) FROM ticket_transitions last
                          WHERE last.ticket_id = t.ticket_id AND last.action = 'follow_up');
