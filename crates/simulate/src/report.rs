//! The replay's annual reports: each run's, and the runs side by side.

use crate::year::Year;

/// The subjects the comparison counts, from the DISPATCH stream.
const WARNINGS: &str = "dispatch.ticket.deadline_warning";
const BREACHES: &str = "dispatch.ticket.deadline_breached";
const ESCALATIONS: &str = "dispatch.ticket.escalated";

/// Returns the runs side by side (when there are two), then each run's
/// annual report.
pub fn years(years: &[Year]) -> String {
    let mut text = String::new();
    if years.len() > 1 {
        text += &side_by_side(years);
        text += "\n";
    }
    for year in years {
        text += &annual(year);
        text += "\n";
    }
    text
}

fn label(year: &Year) -> &'static str {
    if year.options.supervision {
        "with supervision 有督办"
    } else {
        "without 无督办"
    }
}

/// One row of the comparison: a figure of a run.
type Figure = Box<dyn Fn(&Year) -> String>;

/// Returns the figures supervision changes, one column per run.
fn side_by_side(years: &[Year]) -> String {
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let total = |y: &Year| y.stats.total.clone().unwrap_or_default();
    let rows: Vec<(&str, Figure)> = vec![
        ("tickets 工单", Box::new(|y: &Year| y.tickets.to_string())),
        (
            "on time 按时办结率",
            Box::new(move |y: &Year| pct(total(y).on_time_rate)),
        ),
        (
            "closure 办结率",
            Box::new(move |y: &Year| pct(total(y).closure_rate)),
        ),
        (
            "to close, avg 平均办结",
            Box::new(move |y: &Year| format!("{:.1} h", total(y).avg_hours_to_close)),
        ),
        (
            "to close, p90",
            Box::new(move |y: &Year| format!("{:.1} h", total(y).p90_hours_to_close)),
        ),
        (
            "warnings 督办预警",
            Box::new(|y: &Year| y.events(WARNINGS).to_string()),
        ),
        (
            "breaches 超时",
            Box::new(|y: &Year| y.events(BREACHES).to_string()),
        ),
        (
            "escalations 升级",
            Box::new(|y: &Year| y.events(ESCALATIONS).to_string()),
        ),
        (
            "handlers prompted 督办后提速",
            Box::new(|y: &Year| y.prompted.to_string()),
        ),
        (
            "replayed in 用时",
            Box::new(|y: &Year| format!("{:.0} s", y.took.as_secs_f64())),
        ),
    ];
    let first = &years[0];
    let mut text = format!(
        "A year in Langxia, {} (scale {}), the same plan twice\n\n",
        first.options.year, first.options.scale
    );
    text += &format!("{:<30}", "");
    for year in years {
        text += &format!(" {:>24}", label(year));
    }
    text += "\n";
    for (name, value) in &rows {
        text += &format!("{name:<30}");
        for year in years {
            text += &format!(" {:>24}", value(year));
        }
        text += "\n";
    }
    text
}

/// Returns one run's annual report: dispatch's statistics and the best
/// villages of the assessment.
fn annual(year: &Year) -> String {
    let mut text = format!(
        "Annual report, {} (scale {}), {}: {} tickets, all closed\n\n",
        year.options.year,
        year.options.scale,
        label(year),
        year.tickets
    );
    text += &weigrid_cli::ticket::report_text(&year.stats);
    let mut villages = year.assessment.villages.clone();
    villages.sort_by(|a, b| b.weighted.total_cmp(&a.weighted));
    text += "\nVillage assessment (score × weight):\n";
    for v in villages.iter().take(12) {
        text += &format!(
            "  {:<8} {:<6} {:<12} {:>5.1} × {:.2} = {:>5.2}\n",
            v.village_code, v.village_name, v.kind, v.score, v.weight, v.weighted
        );
    }
    text
}
