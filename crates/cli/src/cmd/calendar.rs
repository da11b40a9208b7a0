//! `weigrid calendar`: the business calendar a year at a time, its public
//! holidays and the weekend days worked in their place (ticket dispatch).

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use proto::dispatch::v1 as pb;
use serde_json::{Value, json};

use crate::connect::Dispatch;
use crate::output::Output;

/// `weigrid calendar …`.
#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Prints one year's holidays and make-up working days.
    Show {
        /// The year, e.g. 2027.
        #[arg(long)]
        year: i32,
    },
    /// Replaces one year's listed days with a file's (the desk). Each line
    /// is `YYYY-MM-DD HOLIDAY|WORKDAY name`; `#` starts a comment. Every
    /// running deadline is recomputed on the new calendar.
    Set {
        /// The year, e.g. 2027.
        #[arg(long)]
        year: i32,
        /// The days, one per line.
        #[arg(long)]
        file: PathBuf,
    },
}

impl CalendarCommand {
    /// Runs the command and prints its answer.
    ///
    /// # Errors
    /// An unreadable file or a refused call.
    pub async fn execute(self, client: &mut Dispatch, output: Output) -> anyhow::Result<()> {
        match self {
            CalendarCommand::Show { year } => {
                let calendar = client
                    .get_calendar(pb::GetCalendarRequest { year })
                    .await?
                    .into_inner();
                output.print(&year_json(&calendar), || year_text(&calendar));
            }
            CalendarCommand::Set { year, file } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                let days =
                    parse_days(&text).with_context(|| format!("reading {}", file.display()))?;
                let edited = client
                    .set_calendar(pb::SetCalendarRequest {
                        idempotency_key: uuid::Uuid::now_v7().to_string(),
                        year,
                        days,
                    })
                    .await?
                    .into_inner();
                let calendar = edited.calendar.unwrap_or_default();
                let mut value = year_json(&calendar);
                value["deadlines_moved"] = json!(edited.deadlines_moved);
                output.print(&value, || {
                    format!(
                        "{}已重算 {} 个在办工单的期限 deadlines of {} open tickets recomputed\n",
                        year_text(&calendar),
                        edited.deadlines_moved,
                        edited.deadlines_moved
                    )
                });
            }
        }
        Ok(())
    }
}

/// Returns the days of a calendar file, naming the line of any it cannot
/// read.
///
/// # Errors
/// A line without a date, a kind of HOLIDAY or WORKDAY, and a name.
pub fn parse_days(text: &str) -> anyhow::Result<Vec<pb::CalendarDay>> {
    let mut days = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(date), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            bail!("line {}: expected `YYYY-MM-DD HOLIDAY|WORKDAY name`", n + 1);
        };
        let kind = match kind.to_ascii_uppercase().as_str() {
            "HOLIDAY" => pb::CalendarDayKind::Holiday,
            "WORKDAY" => pb::CalendarDayKind::Workday,
            other => bail!(
                "line {}: kind {other} is neither HOLIDAY nor WORKDAY",
                n + 1
            ),
        };
        days.push(pb::CalendarDay {
            date: date.to_owned(),
            kind: kind.into(),
            name: name.to_owned(),
        });
    }
    Ok(days)
}

fn kind_name(kind: i32) -> &'static str {
    match pb::CalendarDayKind::try_from(kind) {
        Ok(pb::CalendarDayKind::Holiday) => "HOLIDAY",
        Ok(pb::CalendarDayKind::Workday) => "WORKDAY",
        _ => "UNSPECIFIED",
    }
}

fn year_json(calendar: &pb::GetCalendarResponse) -> Value {
    json!({
        "year": calendar.year,
        "days": calendar.days.iter().map(|d| json!({
            "date": d.date, "kind": kind_name(d.kind), "name": d.name,
        })).collect::<Vec<_>>(),
        "changed_at": calendar.changed_at.as_ref().and_then(platform::time::from_timestamp).map(|t| t.to_rfc3339()),
        "changed_by": calendar.changed_by,
    })
}

fn year_text(calendar: &pb::GetCalendarResponse) -> String {
    if calendar.days.is_empty() {
        return format!(
            "{} 年未列出节假日 no days listed for {}: every Monday to Friday is a working day\n",
            calendar.year, calendar.year
        );
    }
    let mut text = format!(
        "{} 年工作日历 business calendar of {}\n",
        calendar.year, calendar.year
    );
    for d in &calendar.days {
        let what = match kind_name(d.kind) {
            "HOLIDAY" => "放假 holiday",
            _ => "调休上班 make-up working day",
        };
        text += &format!("{}  {what:<30} {}\n", d.date, d.name);
    }
    if !calendar.changed_by.is_empty() {
        text += &format!("last changed by {}\n", calendar.changed_by);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calendar_file_is_read_line_by_line_and_a_bad_line_is_named() {
        let days =
            parse_days("# 2027\n2027-02-08 HOLIDAY 春节\n\n2027-02-20 workday 春节调休 # 周六\n")
                .unwrap();
        assert_eq!(days.len(), 2);
        assert_eq!(days[1].kind, i32::from(pb::CalendarDayKind::Workday));
        assert_eq!(days[1].name, "春节调休");
        let err = parse_days("2027-02-08 HOLIDAY 春节\n2027-02-09 OFF 春节\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
