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
    /// Groups to show even with no case (units or villages, by code,
    /// comma-separated): they read "无案件 no cases".
    #[arg(long, value_delimiter = ',')]
    pub show: Vec<String>,
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
                keys: self.show,
            })
            .await?
            .into_inner();
        let value = json!({
            "total": stats.total.as_ref().map(stats_json),
            "groups": stats.groups.iter().map(stats_json).collect::<Vec<_>>(),
            "repeat_places": stats.repeat_places.iter().map(|p| json!({
                "location": p.location.as_ref().map(|l| [l.lat, l.lng]), "micro_grid": p.micro_grid_code,
                "village": p.village_code, "reports": p.reports, "merged": p.merged,
                "categories": p.category_codes, "tickets": p.ticket_numbers,
            })).collect::<Vec<_>>(),
            "rising_categories": stats.rising_categories.iter().map(|t| json!({
                "category": t.category_code, "this_period": t.this_period, "previous_period": t.previous_period,
            })).collect::<Vec<_>>(),
        });
        output.print(&value, || report_text(&stats));
        Ok(())
    }
}

fn assessment_json(villages: &[pb::VillageAssessment]) -> Value {
    Value::Array(villages.iter().map(|v| json!({
        "village": v.village_code, "name": v.village_name, "kind": v.kind, "tickets": v.tickets, "has_cases": v.has_cases,
        "five_chief": v.five_chief_score, "unified_management": v.unified_management_score,
        "safety": v.safety_score, "score": v.score, "weight": v.weight, "weighted": v.weighted,
    })).collect())
}

fn assessment_text(villages: &[pb::VillageAssessment]) -> String {
    let mut text = format!(
        "{:<10} {:<10} {:<12} {:>7} {:>9} {:>9} {:>9} {:>7} {:>8}\n",
        "village", "name", "kind", "tickets", "五长制", "一网统管", "安全", "score", "weighted"
    );
    for v in villages.iter().filter(|v| !v.has_cases) {
        text += &format!(
            "{:<10} {:<10} {:<12} {:>7} {NO_CASES}\n",
            v.village_code, v.village_name, v.kind, v.tickets
        );
    }
    for v in villages.iter().filter(|v| v.has_cases) {
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
        "rejected": s.rejected, "merged": s.merged, "has_cases": s.has_cases,
        "on_time_signing_rate": s.on_time_signing_rate, "signed_on_time": s.signed_on_time, "signing_judged": s.signing_judged,
        "on_time_resolution_rate": s.on_time_resolution_rate, "resolved_on_time": s.resolved_on_time,
        "resolution_judged": s.resolution_judged,
        "actually_solved_rate": s.actually_solved_rate, "actually_solved": s.actually_solved, "ratings": s.ratings,
        "avg_hours_sign_to_resolve": s.avg_hours_sign_to_resolve, "p90_hours_sign_to_resolve": s.p90_hours_sign_to_resolve,
        "transfers": s.transfers, "transfers_per_ticket": s.transfers_per_ticket,
    })
}

/// How many of the places reported more than once the text shows (the
/// most reported; JSON has them all).
const SHOWN_PLACES: usize = 10;

/// What a group with no case shows instead of its rates.
const NO_CASES: &str = "无案件 no cases";

/// Returns the annual report as text: per group the KPIs (their Chinese
/// and English names in the header), the intervals, the 12345 board's
/// repeat places and rising categories, and the lines in the shape the
/// town reports them.
pub fn report_text(stats: &pb::GetStatisticsResponse) -> String {
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let name = |s: &pb::Statistics| {
        if s.key.is_empty() {
            "total".to_owned()
        } else {
            s.key.clone()
        }
    };
    let mut text = format!(
        "{:<16} {:>8} {:>8} {:>12} {:>14} {:>14} {:>14} {:>12} {:>10} {:>10}\n",
        "",
        "received",
        "closed",
        "办结率",
        "按时签收率",
        "按时办结率",
        "实际解决率",
        "满意率",
        "退单率",
        "转办"
    );
    text += &format!(
        "{:<16} {:>8} {:>8} {:>12} {:>14} {:>14} {:>14} {:>12} {:>10} {:>10}\n",
        "",
        "",
        "",
        "closure",
        "on-time sign",
        "on-time resolve",
        "actually solved",
        "satisfied",
        "returns",
        "transfers"
    );
    let line = |s: &pb::Statistics| {
        if !s.has_cases {
            return format!(
                "{:<16} {:>8} {:>8} {NO_CASES}\n",
                name(s),
                s.received,
                s.closed
            );
        }
        format!(
            "{:<16} {:>8} {:>8} {:>12} {:>14} {:>14} {:>14} {:>12} {:>10} {:>10.2}\n",
            name(s),
            s.received,
            s.closed,
            pct(s.closure_rate),
            if s.signing_judged == 0 {
                "—".to_owned()
            } else {
                pct(s.on_time_signing_rate)
            },
            if s.resolution_judged == 0 {
                "—".to_owned()
            } else {
                pct(s.on_time_resolution_rate)
            },
            if s.resolved == 0 {
                "—".to_owned()
            } else {
                pct(s.actually_solved_rate)
            },
            if s.ratings == 0 {
                "—".to_owned()
            } else {
                pct(s.satisfaction_rate)
            },
            pct(s.return_rate),
            s.transfers_per_ticket
        )
    };
    let intervals = |s: &pb::Statistics| {
        format!(
            "{:<16} {:>7.0}m {:>7.0}m {:>7.0}m {:>7.0}m {:>7.1}h {:>7.1}h {:>7.1}h {:>7.1}h\n",
            name(s),
            s.avg_minutes_to_dispatch,
            s.p90_minutes_to_dispatch,
            s.avg_minutes_to_sign,
            s.p90_minutes_to_sign,
            s.avg_hours_sign_to_resolve,
            s.p90_hours_sign_to_resolve,
            s.avg_hours_to_close,
            s.p90_hours_to_close
        )
    };
    for group in &stats.groups {
        text += &line(group);
    }
    if let Some(total) = &stats.total {
        text += &line(total);
        text += &format!(
            "{:<16} {} rejected 不予受理, {} merged 合并重复 (in no figure but received)\n",
            "", total.rejected, total.merged
        );
    }
    text += &format!(
        "\n{:<16} {:>17} {:>17} {:>17} {:>17}\n{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
        "intervals",
        "受理→派单",
        "派单→签收",
        "签收→办结",
        "受理→结案",
        "avg / p90",
        "dispatch",
        "",
        "sign",
        "",
        "resolve",
        "",
        "close",
        ""
    );
    for group in stats.groups.iter().filter(|g| g.has_cases) {
        text += &intervals(group);
    }
    if let Some(total) = &stats.total {
        text += &intervals(total);
    }
    if !stats.repeat_places.is_empty() {
        text += "\n重复投诉 places reported more than once:\n";
    }
    for p in stats.repeat_places.iter().take(SHOWN_PLACES) {
        let at = p
            .location
            .as_ref()
            .map(|l| format!("{:.5},{:.5}", l.lat, l.lng))
            .unwrap_or_default();
        text += &format!(
            "  {at} {} — {} reports ({} merged) {}: {}\n",
            p.micro_grid_code,
            p.reports,
            p.merged,
            p.category_codes.join(","),
            p.ticket_numbers.join(" ")
        );
    }
    if let Some(more) = stats
        .repeat_places
        .len()
        .checked_sub(SHOWN_PLACES)
        .filter(|n| *n > 0)
    {
        text += &format!("  … and {more} more\n");
    }
    if !stats.rising_categories.is_empty() {
        text += "\n上升类别 rising categories (this period / the one before):\n";
    }
    for t in &stats.rising_categories {
        text += &format!(
            "  {:<24} {:>5} / {:<5}\n",
            t.category_code, t.this_period, t.previous_period
        );
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
    fn stats_a_group_with_no_cases_reads_no_cases_and_the_kpis_carry_both_names() {
        let stats = pb::GetStatisticsResponse {
            total: Some(pb::Statistics {
                received: 2,
                closed: 1,
                has_cases: true,
                closure_rate: 0.5,
                signing_judged: 2,
                on_time_signing_rate: 0.5,
                ..Default::default()
            }),
            groups: vec![pb::Statistics {
                key: "MARKET_SUPERVISION".into(),
                ..Default::default()
            }],
            repeat_places: vec![pb::RepeatPlace {
                micro_grid_code: "V1-A1-M01".into(),
                reports: 2,
                ticket_numbers: vec!["LX-1".into(), "LX-2".into()],
                ..Default::default()
            }],
            rising_categories: vec![pb::CategoryTrend {
                category_code: "SANITATION".into(),
                this_period: 3,
                previous_period: 1,
            }],
        };
        let text = report_text(&stats);
        let none = text
            .lines()
            .find(|l| l.starts_with("MARKET_SUPERVISION"))
            .unwrap();
        assert!(none.contains("无案件 no cases"), "{text}");
        assert!(!none.contains('%'), "no rate for no cases: {none}");
        for name in [
            "按时签收率",
            "on-time sign",
            "实际解决率",
            "actually solved",
            "退单率",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
        let total = text.lines().find(|l| l.starts_with("total")).unwrap();
        assert!(total.contains("50.0%"), "{total}");
        assert!(text.contains("V1-A1-M01 — 2 reports (0 merged)"), "{text}");
        assert!(text.contains("SANITATION"), "{text}");
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
