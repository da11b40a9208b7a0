//! Intake channels and the rules that come with them.

use super::deadline::TimeLimit;

/// Where a ticket came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// 12345 citizen hotline work order.
    Hotline12345,
    /// 110 non-police incident.
    NonPolice110,
    /// A hazard found by a grid patrol (网格自查).
    GridPatrol,
    /// A villager's report through the mini-program.
    VillagerApp,
    /// A camera alarm.
    VideoAlarm,
    /// A case from a neighbouring town.
    CrossBorder,
    /// Raised by a department.
    Department,
    /// A request posted by an Open311 GeoReport v2 client (the edge).
    Open311,
}

impl Channel {
    pub const ALL: [Channel; 8] = [
        Channel::Hotline12345,
        Channel::NonPolice110,
        Channel::GridPatrol,
        Channel::VillagerApp,
        Channel::VideoAlarm,
        Channel::CrossBorder,
        Channel::Department,
        Channel::Open311,
    ];

    /// Returns the stored name, e.g. `HOTLINE_12345`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Hotline12345 => "HOTLINE_12345",
            Channel::NonPolice110 => "NON_POLICE_110",
            Channel::GridPatrol => "GRID_PATROL",
            Channel::VillagerApp => "VILLAGER_APP",
            Channel::VideoAlarm => "VIDEO_ALARM",
            Channel::CrossBorder => "CROSS_BORDER",
            Channel::Department => "DEPARTMENT",
            Channel::Open311 => "OPEN311",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Returns whether the channel carries its own reference (the order
    /// number), which is then required and is the ticket's idempotency key.
    pub fn requires_reference(self) -> bool {
        matches!(
            self,
            Channel::Hotline12345 | Channel::NonPolice110 | Channel::CrossBorder
        )
    }

    /// Returns whether its reports come from the field (a patrol, a
    /// villager, a camera), where a location is required.
    pub fn reports_from_the_field(self) -> bool {
        matches!(
            self,
            Channel::GridPatrol | Channel::VillagerApp | Channel::VideoAlarm
        )
    }

    /// Returns whether every ticket of this channel goes to the town
    /// centre's single desk (一门式受理) rather than straight to a micro-grid.
    pub fn always_to_desk(self) -> bool {
        matches!(
            self,
            Channel::Hotline12345
                | Channel::NonPolice110
                | Channel::CrossBorder
                | Channel::Department
        )
    }

    /// Returns the channel's own time limit, overriding the category's:
    /// 110 incidents within 2 h, 12345 orders within 24 h.
    pub fn time_limit(self, limits: &ChannelLimits) -> Option<TimeLimit> {
        match self {
            Channel::NonPolice110 => Some(TimeLimit::Hours(limits.non_police_110_hours)),
            Channel::Hotline12345 => Some(TimeLimit::Hours(limits.hotline_12345_hours)),
            _ => None,
        }
    }
}

/// The configurable channel limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelLimits {
    pub non_police_110_hours: u32,
    pub hotline_12345_hours: u32,
}

impl Default for ChannelLimits {
    /// The limits the source names: 2 h and 24 h.
    fn default() -> Self {
        Self {
            non_police_110_hours: 2,
            hotline_12345_hours: 24,
        }
    }
}

/// Where a new ticket goes first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A simple case: straight to the micro-grid holding its location, whose
    /// leader handles it and reports back.
    MicroGrid,
    /// The town centre's single desk, which dispatches it.
    Desk,
}

/// Decides where a new ticket goes: the desk for every 12345, 110,
/// cross-border and department case and for difficult ones (by the reporter
/// or the category); the micro-grid for a simple case with a known location.
pub fn triage(channel: Channel, difficult: bool, has_micro_grid: bool) -> Route {
    if channel.always_to_desk() || difficult || !has_micro_grid {
        Route::Desk
    } else {
        Route::MicroGrid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotline_and_110_cases_always_go_to_the_desk() {
        assert_eq!(triage(Channel::Hotline12345, false, true), Route::Desk);
        assert_eq!(triage(Channel::NonPolice110, false, true), Route::Desk);
    }

    #[test]
    fn a_simple_patrol_hazard_goes_to_its_micro_grid() {
        assert_eq!(triage(Channel::GridPatrol, false, true), Route::MicroGrid);
        assert_eq!(
            triage(Channel::VillagerApp, true, true),
            Route::Desk,
            "difficult cases go to the desk"
        );
        assert_eq!(
            triage(Channel::VillagerApp, false, false),
            Route::Desk,
            "no micro-grid, no self-handling"
        );
    }

    #[test]
    fn channel_limits_override_the_category() {
        let limits = ChannelLimits::default();
        assert_eq!(
            Channel::NonPolice110.time_limit(&limits),
            Some(TimeLimit::Hours(2))
        );
        assert_eq!(
            Channel::Hotline12345.time_limit(&limits),
            Some(TimeLimit::Hours(24))
        );
        assert_eq!(Channel::GridPatrol.time_limit(&limits), None);
    }
}
