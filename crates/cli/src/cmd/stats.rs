//! `weigrid stats`: the figures of the tickets received in a period, the
//! annual report, and the assessment of villages (ticket dispatch).

use clap::{Args, ValueEnum};
use proto::dispatch::v1 as pb;
use serde_json::{Value, json};

use crate::args::period;
use crate::connect::Dispatch;
use crate::output::Output;

/// `weigrid stats`.
#[derive(Args)]
pub struct StatsArgs {
    /// A calendar year (Shanghai time).
    #[arg(long)]
    pub year: Option<i32>,
    /// First day, YYYY-MM-DD (with --to).
    #[arg(long)]
    pub from: Option<String>,
    /// Day after the last, YYYY-MM-DD.
    #[arg(long)]
    pub to: Option<String>,
    /// What one line of figures is about.
    #[arg(long, value_enum, default_value_t = GroupBy::Channel)]
    pub by: GroupBy,
    /// Print the assessment of villages instead.
    #[arg(long)]
    pub assessment: bool,
}

/// How the figures are grouped (`--by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// The channel a ticket came in by (12345, 110, patrol, …).
    Channel,
    /// The unit a ticket was first dispatched to.
    Unit,
    /// The village a ticket is in.
    Village,
}

impl From<GroupBy> for pb::get_statistics_request::GroupBy {
    fn from(by: GroupBy) -> Self {
        use pb::get_statistics_request::GroupBy as Pb;
        match by {
            GroupBy::Channel => Pb::Channel,
            GroupBy::Unit => Pb::Unit,
            GroupBy::Village => Pb::Village,
        }
    }
}

impl StatsArgs {
    /// Prints the statistics or the assessment of the period.
    ///
    /// # Errors
    /// A bad period, or the service's status.
    pub async fn execute(self, client: &mut Dispatch, output: Output) -> anyhow::Result<()> {
        let (from, to) = period(self.year, self.from.as_deref(), self.to.as_deref())?;
        let stamp = platform::time::timestamp;
        if self.assessment {
            let villages = client
                .get_assessment(pb::GetAssessmentRequest {
                    from: Some(stamp(from)),
                    to: Some(stamp(to)),
                })
                .await?
                .into_inner()
                .villages;
            output.print(&assessment_json(&villages), || assessment_text(&villages));
            return Ok(());
        }
        let group_by: pb::get_statistics_request::GroupBy = self.by.into();
        let stats = client
            .get_statistics(pb::GetStatisticsRequest {
                from: Some(stamp(from)),
                to: Some(stamp(to)),
                group_by: group_by.into(),
            })
            .await?
            .into_inner();
        let value = json!({
            "total": stats.total.as_ref().map(stats_json),
            "groups": stats.groups.iter().map(stats_json).collect::<Vec<_>>(),
        });
        output.print(&value, || report_text(&stats));
        Ok(())
    }
}

fn assessment_json(villages: &[pb::VillageAssessment]) -> Value {
    Value::Array(villages.iter().map(|v| json!({
        "village": v.village_code, "name": v.village_name, "kind": v.kind, "tickets": v.tickets,
        "five_chief": v.five_chief_score, "unified_management": v.unified_management_score,
        "safety": v.safety_score, "score": v.score, "weight": v.weight, "weighted": v.weighted,
    })).collect())
}

fn assessment_text(villages: &[pb::VillageAssessment]) -> String {
    let mut text = format!(
        "{:<10} {:<10} {:<12} {:>7} {:>9} {:>9} {:>9} {:>7} {:>8}\n",
        "village", "name", "kind", "tickets", "五长制", "一网统管", "安全", "score", "weighted"
    );
    for v in villages {
        text += &format!(
            "{:<10} {:<10} {:<12} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>7.1} {:>8.2}\n",
            v.village_code,
            v.village_name,
            v.kind,
            v.tickets,
            v.five_chief_score,
            v.unified_management_score,
            v.safety_score,
            v.score,
            v.weighted
        );
    }
    text
}

fn stats_json(s: &pb::Statistics) -> Value {
    json!({
        "key": s.key, "received": s.received, "dispatched": s.dispatched, "resolved": s.resolved, "closed": s.closed,
        "closure_rate": s.closure_rate, "on_time_rate": s.on_time_rate, "resolution_rate": s.resolution_rate,
        "satisfaction_rate": s.satisfaction_rate, "rated": s.rated,
        "avg_minutes_to_dispatch": s.avg_minutes_to_dispatch, "p90_minutes_to_dispatch": s.p90_minutes_to_dispatch,
        "avg_minutes_to_sign": s.avg_minutes_to_sign, "p90_minutes_to_sign": s.p90_minutes_to_sign,
        "avg_hours_to_close": s.avg_hours_to_close, "p90_hours_to_close": s.p90_hours_to_close,
        "returns": s.returns, "legs": s.legs, "return_rate": s.return_rate,
        "extensions": s.extensions, "escalations": s.escalations,
        "hazards": s.hazards, "hazard_rectification_rate": s.hazard_rectification_rate,
    })
}

/// Returns the annual report as text: per channel, and the lines in the
/// shape the town reports them.
pub fn report_text(stats: &pb::GetStatisticsResponse) -> String {
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let mut text = format!(
        "{:<16} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10}\n",
        "channel",
        "received",
        "closed",
        "closure",
        "on time",
        "solved",
        "satisfied",
        "dispatch",
        "close"
    );
    let line = |s: &pb::Statistics| {
        format!(
            "{:<16} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8.0}m {:>8.1}h\n",
            if s.key.is_empty() {
                "total"
            } else {
                s.key.as_str()
            },
            s.received,
            s.closed,
            pct(s.closure_rate),
            pct(s.on_time_rate),
            pct(s.resolution_rate),
            if s.rated == 0 {
                "—".to_owned()
            } else {
                pct(s.satisfaction_rate)
            },
            s.avg_minutes_to_dispatch,
            s.avg_hours_to_close
        )
    };
    for group in &stats.groups {
        text += &line(group);
    }
    if let Some(total) = &stats.total {
        text += &line(total);
    }
    let by = |key: &str| {
        stats
            .groups
            .iter()
            .find(|g| g.key == key)
            .cloned()
            .unwrap_or_default()
    };
    let (p110, p12345, patrol) = (by("NON_POLICE_110"), by("HOTLINE_12345"), by("GRID_PATROL"));
    text += &format!(
        "\n办结“110”非警务警情案件{}件；各级网格力量自查整改各类安全隐患{}条，整改率{}；办结“12345”工单{}件，办结率{}。\n",
        p110.closed,
        patrol.closed,
        pct(patrol.hazard_rectification_rate),
        p12345.closed,
        pct(p12345.closure_rate)
    );
    text
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;
    use crate::cli::{Cli, Command, parse};

    fn by(line: &str) -> GroupBy {
        match parse(line).unwrap().command {
            Command::Stats(args) => args.by,
            _ => panic!("{line} is not stats"),
        }
    }

    #[test]
    fn figures_are_grouped_by_channel_unless_asked_otherwise() {
        assert_eq!(by("weigrid stats --year 2026"), GroupBy::Channel);
        assert_eq!(by("weigrid stats --year 2026 --by unit"), GroupBy::Unit);
        assert_eq!(
            by("weigrid stats --year 2026 --by village"),
            GroupBy::Village
        );
    }

    #[test]
    fn an_unknown_grouping_is_refused_naming_the_possible_values() {
        let err = parse("weigrid stats --year 2026 --by week").err().unwrap();
        let message = err.to_string();
        assert!(message.contains("--by"), "{message}");
        assert!(message.contains("channel, unit, village"), "{message}");
    }

    #[test]
    fn each_grouping_asks_dispatch_for_the_same_grouping() {
        use pb::get_statistics_request::GroupBy as Pb;
        assert_eq!(Pb::from(GroupBy::Channel), Pb::Channel);
        assert_eq!(Pb::from(GroupBy::Unit), Pb::Unit);
        assert_eq!(Pb::from(GroupBy::Village), Pb::Village);
    }

    #[test]
    fn the_help_of_stats_shows_the_groupings() {
        let mut cli = Cli::command();
        let help = cli
            .find_subcommand_mut("stats")
            .unwrap()
            .render_help()
            .to_string();
        assert!(
            help.contains("[possible values: channel, unit, village]"),
            "{help}"
        );
    }
}
