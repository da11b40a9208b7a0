//! Answers for people (text) and scripts (`--output json`).

use chrono::DateTime;
use platform::error::field_violations;
use proto::registry::v1 as pb;
use serde_json::{Value, json};

/// What a call the connection dropped may need: under TLS 1.3 a service
/// that requires a client certificate may close the connection before its
/// alert arrives, so the cause is not always in the error.
pub const MUTUAL_TLS_HINT: &str = "hint: if the service requires mutual TLS, give --cert and --key \
(服务可能要求双向 TLS：请提供 --cert 与 --key)";

/// Returns whether `status` is a call that never got an answer from the
/// service (the connection failed or was closed under it).
pub fn transport_failure(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        tonic::Code::Unknown | tonic::Code::Unavailable | tonic::Code::Cancelled
    ) && std::error::Error::source(status).is_some()
}

/// Returns a failed call as one readable line per problem.
pub fn status(status: &tonic::Status) -> String {
    let violations = field_violations(status);
    if violations.is_empty() {
        // A call that never reached the service (TLS refused, connection
        // lost) says why only in its source chain.
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(status);
        while let Some(err) = source {
            let text = err.to_string();
            if !causes.contains(&text) && !status.message().contains(&text) {
                causes.push(text);
            }
            source = err.source();
        }
        let because = if causes.is_empty() {
            String::new()
        } else {
            format!(": {}", causes.join(": "))
        };
        return format!("{}{because} ({:?})", status.message(), status.code());
    }
    let lines: Vec<String> = violations
        .iter()
        .map(|v| format!("  {}: {}", v.field, v.rule))
        .collect();
    format!(
        "invalid request ({:?}):\n{}",
        status.code(),
        lines.join("\n")
    )
}

/// Returns a status as JSON, for scripts.
pub fn status_json(status: &tonic::Status) -> Value {
    let violations: Vec<Value> = field_violations(status)
        .into_iter()
        .map(|v| json!({ "field": v.field, "rule": v.rule }))
        .collect();
    json!({ "error": { "code": format!("{:?}", status.code()), "message": status.message(), "field_violations": violations } })
}

/// Returns one line per item, or `empty` when there are none.
pub fn lines<T>(items: &[T], line: impl Fn(&T) -> String, empty: &str) -> String {
    if items.is_empty() {
        return empty.to_owned();
    }
    items.iter().map(line).collect::<Vec<_>>().join("\n")
}

/// Returns a generated enum's name without its prefix (`GRID_LEVEL_TOWN` → `TOWN`).
pub fn enum_name(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_owned()
}

/// Returns a time in Shanghai, to the minute; empty when unset.
pub fn time(ts: &Option<prost_types::Timestamp>) -> String {
    ts.as_ref()
        .and_then(|t| DateTime::from_timestamp(t.seconds, 0))
        .map(|t| {
            t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

pub fn level(value: i32) -> String {
    enum_name(
        pb::GridLevel::try_from(value)
            .unwrap_or_default()
            .as_str_name(),
        "GRID_LEVEL_",
    )
}

pub fn kind(value: i32) -> String {
    enum_name(
        pb::ObjectKind::try_from(value)
            .unwrap_or_default()
            .as_str_name(),
        "OBJECT_KIND_",
    )
}

pub fn role(value: i32) -> String {
    enum_name(
        pb::MemberRole::try_from(value)
            .unwrap_or_default()
            .as_str_name(),
        "MEMBER_ROLE_",
    )
}

pub fn duty(value: i32) -> String {
    enum_name(
        pb::Duty::try_from(value).unwrap_or_default().as_str_name(),
        "DUTY_",
    )
}

pub fn category(value: i32) -> String {
    enum_name(
        pb::CareCategory::try_from(value)
            .unwrap_or_default()
            .as_str_name(),
        "CARE_CATEGORY_",
    )
}

pub fn grid_ref(g: &pb::GridRef) -> Value {
    json!({ "id": g.id, "code": g.code, "name": g.name, "level": level(g.level) })
}

pub fn grid(g: &pb::Grid) -> Value {
    let ring = |r: &pb::Ring| r.points.iter().map(|p| [p.lng, p.lat]).collect::<Vec<_>>();
    json!({
        "id": g.id, "code": g.code, "name": g.name, "level": level(g.level), "parent_code": g.parent_code,
        "households": (g.households != 0).then_some(g.households),
        "party_group": (!g.party_group.is_empty()).then_some(&g.party_group),
        "version": g.version,
        "boundary": g.boundary.as_ref().map(|b| {
            json!({ "type": "Polygon", "coordinates": b.exterior.iter().chain(b.holes.iter()).map(ring).collect::<Vec<_>>() })
        }),
    })
}

pub fn member(m: &pb::Member) -> Value {
    json!({ "id": m.id, "grid_code": m.grid_code, "name": m.name, "role": role(m.role), "phone": m.phone_masked })
}

pub fn object(o: &pb::CoveredObject) -> Value {
    json!({
        "id": o.id, "code": o.code, "name": o.name, "kind": kind(o.kind), "micro_grid_code": o.micro_grid_code,
        "high_risk": o.high_risk, "head_name": o.head_name, "head_phone": o.head_phone_masked,
        "area_ha": (o.area_ha != 0.0).then_some(o.area_ha),
    })
}

pub fn party(p: &pb::ResponsibleParty) -> Value {
    json!({
        "duty": duty(p.duty), "person": p.person_name, "phone": p.phone_masked,
        "grid": p.grid.as_ref().map(grid_ref), "department_code": p.department_code, "department": p.department_name,
        "object_code": p.object_code, "object": p.object_name,
    })
}

/// One line describing a link of the responsibility chain.
pub fn party_line(p: &pb::ResponsibleParty) -> String {
    let mut parts = vec![format!("{:<16}", duty(p.duty))];
    if let Some(g) = &p.grid {
        parts.push(format!("{} {}", g.code, g.name));
    }
    if !p.department_code.is_empty() {
        parts.push(format!("{} {}", p.department_code, p.department_name));
    }
    if !p.object_code.is_empty() {
        parts.push(format!("{} {}", p.object_code, p.object_name));
    }
    if !p.person_name.is_empty() {
        parts.push(p.person_name.clone());
    }
    if !p.phone_masked.is_empty() {
        parts.push(p.phone_masked.clone());
    }
    parts.join("  ")
}

pub fn care_person(p: &pb::CarePerson) -> Value {
    json!({
        "code": p.code, "micro_grid_code": p.micro_grid_code, "category": category(p.category),
        "name": p.name_masked, "id_number": p.id_number_masked, "phone": p.phone_masked,
    })
}

/// Fails, after a verification's answer was printed, when it says the log
/// or the evidence does not verify: an auditor's script sees the exit
/// status, not only the words.
///
/// # Errors
/// The answer's `intact` is false.
pub fn fail_unless_intact(answer: &serde_json::Value) -> anyhow::Result<()> {
    match answer.get("intact") {
        Some(serde_json::Value::Bool(false)) => {
            anyhow::bail!("verification failed: see the first broken link above")
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn a_broken_verification_fails_the_command() {
        assert!(super::fail_unless_intact(&json!({"intact": true, "checked": 7})).is_ok());
        assert!(super::fail_unless_intact(&json!({"intact": false, "broken_seq": 2})).is_err());
    }
}
