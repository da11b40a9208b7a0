//! `incidents`, `incident_events`, `ticket_rules` and `incident_tickets`.

use chrono::{DateTime, TimeDelta, Utc};
use platform::error::{UnknownStoredValue, stored_count};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{decode_all, decode_optional, gb_id};
use crate::domain::camera::{CameraKind, LatLng};
use crate::domain::gbid::GbId;
use crate::domain::ids::{AlarmId, IncidentId};
use crate::domain::incident::{BoundingBox, Incident, IncidentKind, Phase, Sighting, Snapshot};
use crate::domain::rules::{AskedTicket, Priority, RuleUnit, TicketRule};

const COLUMNS: &str = "incident_id, channel_id, device_id, kind, camera_kind, grid_code, lat, lng,
    first_at, last_at, events, max_score";

/// An incident as stored.
#[derive(sqlx::FromRow)]
struct IncidentRow {
    incident_id: Uuid,
    channel_id: String,
    device_id: String,
    kind: String,
    camera_kind: String,
    grid_code: Option<String>,
    lat: Option<f64>,
    lng: Option<f64>,
    first_at: DateTime<Utc>,
    last_at: DateTime<Utc>,
    events: i32,
    max_score: f64,
}

fn incident_kind(
    table: &'static str,
    column: &'static str,
    v: &str,
) -> Result<IncidentKind, UnknownStoredValue> {
    IncidentKind::parse(v).ok_or_else(|| UnknownStoredValue::new(table, column, v))
}

fn camera_kind(table: &'static str, v: &str) -> Result<CameraKind, UnknownStoredValue> {
    CameraKind::parse(v).ok_or_else(|| UnknownStoredValue::new(table, "camera_kind", v))
}

fn priority(table: &'static str, v: &str) -> Result<Priority, UnknownStoredValue> {
    Priority::parse(v).ok_or_else(|| UnknownStoredValue::new(table, "priority", v))
}

impl TryFrom<IncidentRow> for Incident {
    type Error = UnknownStoredValue;

    fn try_from(r: IncidentRow) -> Result<Self, Self::Error> {
        Ok(Incident {
            id: IncidentId(r.incident_id),
            channel: gb_id("incidents", "channel_id", &r.channel_id)?,
            device: gb_id("incidents", "device_id", &r.device_id)?,
            kind: incident_kind("incidents", "kind", &r.kind)?,
            camera_kind: camera_kind("incidents", &r.camera_kind)?,
            grid_code: r.grid_code,
            location: r.lat.zip(r.lng).map(|(lat, lng)| LatLng { lat, lng }),
            first_at: r.first_at,
            last_at: r.last_at,
            events: stored_count("incidents", "events", r.events)?,
            max_score: r.max_score,
        })
    }
}

/// Serialises the grouping of `channel`'s events of `kind` until the
/// transaction ends: two events arriving at once make one incident.
///
/// # Errors
/// The database fails.
pub async fn lock_stream(
    conn: &mut PgConnection,
    channel: &GbId,
    kind: IncidentKind,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 28181))")
        .bind(format!("incident:{}:{}", channel.as_str(), kind.as_str()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns, locked, the incident of `channel` and `kind` an event at `at`
/// falls within `window` of (the latest, if several).
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn open_around(
    conn: &mut PgConnection,
    channel: &GbId,
    kind: IncidentKind,
    at: DateTime<Utc>,
    window: TimeDelta,
) -> Result<Option<Incident>, sqlx::Error> {
    let row: Option<IncidentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM incidents
         WHERE channel_id = $1 AND kind = $2 AND last_at >= $3 AND first_at <= $4
         ORDER BY last_at DESC LIMIT 1 FOR UPDATE"
    )))
    .bind(channel.as_str())
    .bind(kind.as_str())
    .bind(at - window)
    .bind(at + window)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Records a new incident, opened at `now`.
///
/// # Errors
/// The database fails.
pub async fn insert(
    conn: &mut PgConnection,
    i: &Incident,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO incidents (incident_id, channel_id, device_id, kind, camera_kind, grid_code,
                                lat, lng, first_at, last_at, events, max_score, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(i.id.0)
    .bind(i.channel.as_str())
    .bind(i.device.as_str())
    .bind(i.kind.as_str())
    .bind(i.camera_kind.as_str())
    .bind(&i.grid_code)
    .bind(i.location.map(|l| l.lat))
    .bind(i.location.map(|l| l.lng))
    .bind(i.first_at)
    .bind(i.last_at)
    .bind(super::signed(i.events))
    .bind(i.max_score)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves what an added event changed.
///
/// # Errors
/// The database fails.
pub async fn save(conn: &mut PgConnection, i: &Incident) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE incidents SET first_at = $2, last_at = $3, events = $4, max_score = $5
         WHERE incident_id = $1",
    )
    .bind(i.id.0)
    .bind(i.first_at)
    .bind(i.last_at)
    .bind(super::signed(i.events))
    .bind(i.max_score)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns which of the events `ids` are in an incident already.
///
/// # Errors
/// The database fails.
pub async fn taken(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<std::collections::HashSet<Uuid>, sqlx::Error> {
    let taken: Vec<Uuid> =
        sqlx::query_scalar("SELECT event_id FROM incident_events WHERE event_id = ANY($1)")
            .bind(ids)
            .fetch_all(conn)
            .await?;
    Ok(taken.into_iter().collect())
}

/// Records `s` in incident `incident`.
///
/// # Errors
/// The database fails.
pub async fn add_event(
    conn: &mut PgConnection,
    incident: IncidentId,
    s: &Sighting,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO incident_events (event_id, incident_id, phase, track_id, object_type, score,
             box_x, box_y, box_width, box_height, snapshot_ref, snapshot_sha256, alarm_id, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(s.id)
    .bind(incident.0)
    .bind(s.phase.as_str())
    .bind(&s.track_id)
    .bind(&s.object_type)
    .bind(s.score)
    .bind(s.bbox.map(|b| b.x))
    .bind(s.bbox.map(|b| b.y))
    .bind(s.bbox.map(|b| b.width))
    .bind(s.bbox.map(|b| b.height))
    .bind(s.snapshot.as_ref().map(|x| x.reference.as_str()))
    .bind(s.snapshot.as_ref().map(|x| x.sha256.as_str()))
    .bind(s.alarm.map(|a| a.0))
    .bind(s.occurred_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns one incident.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn get(conn: &mut PgConnection, id: IncidentId) -> Result<Option<Incident>, sqlx::Error> {
    let row: Option<IncidentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM incidents WHERE incident_id = $1"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns incidents newest first, of one camera and kind when given.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn list(
    conn: &mut PgConnection,
    channel: Option<&GbId>,
    kind: Option<IncidentKind>,
    limit: i64,
) -> Result<Vec<Incident>, sqlx::Error> {
    let rows: Vec<IncidentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM incidents
         WHERE ($1::text IS NULL OR channel_id = $1) AND ($2::text IS NULL OR kind = $2)
         ORDER BY opened_at DESC, incident_id DESC LIMIT $3"
    )))
    .bind(channel.map(GbId::as_str))
    .bind(kind.map(IncidentKind::as_str))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// An incident's event as stored.
#[derive(sqlx::FromRow)]
struct EventRow {
    event_id: Uuid,
    kind: String,
    phase: String,
    track_id: String,
    object_type: String,
    score: f64,
    box_x: Option<f64>,
    box_y: Option<f64>,
    box_width: Option<f64>,
    box_height: Option<f64>,
    snapshot_ref: Option<String>,
    snapshot_sha256: Option<String>,
    alarm_id: Option<Uuid>,
    occurred_at: DateTime<Utc>,
}

impl TryFrom<EventRow> for Sighting {
    type Error = UnknownStoredValue;

    fn try_from(r: EventRow) -> Result<Self, Self::Error> {
        let bbox = match (r.box_x, r.box_y, r.box_width, r.box_height) {
            (Some(x), Some(y), Some(width), Some(height)) => Some(BoundingBox {
                x,
                y,
                width,
                height,
            }),
            _ => None,
        };
        Ok(Sighting {
            id: r.event_id,
            kind: incident_kind("incidents", "kind", &r.kind)?,
            phase: Phase::parse(&r.phase)
                .ok_or_else(|| UnknownStoredValue::new("incident_events", "phase", &r.phase))?,
            track_id: r.track_id,
            object_type: r.object_type,
            score: r.score,
            bbox,
            snapshot: r
                .snapshot_ref
                .zip(r.snapshot_sha256)
                .map(|(reference, sha256)| Snapshot { reference, sha256 }),
            occurred_at: r.occurred_at,
            alarm: r.alarm_id.map(AlarmId),
        })
    }
}

/// Returns the events of `incident`, oldest first.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn events_of(
    conn: &mut PgConnection,
    incident: IncidentId,
) -> Result<Vec<Sighting>, sqlx::Error> {
    sightings(conn, incident, false, None).await
}

/// Returns the first `limit` events of `incident` that carry evidence (a
/// snapshot or an alarm), oldest first: what a ticket cites, read without
/// the rest of a long incident.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn evidence_of(
    conn: &mut PgConnection,
    incident: IncidentId,
    limit: i64,
) -> Result<Vec<Sighting>, sqlx::Error> {
    sightings(conn, incident, true, Some(limit)).await
}

async fn sightings(
    conn: &mut PgConnection,
    incident: IncidentId,
    evidence_only: bool,
    limit: Option<i64>,
) -> Result<Vec<Sighting>, sqlx::Error> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT e.event_id, i.kind, e.phase, e.track_id, e.object_type, e.score, e.box_x, e.box_y,
                e.box_width, e.box_height, e.snapshot_ref, e.snapshot_sha256, e.alarm_id, e.occurred_at
         FROM incident_events e JOIN incidents i USING (incident_id)
         WHERE e.incident_id = $1
           AND (NOT $2 OR e.snapshot_ref IS NOT NULL OR e.alarm_id IS NOT NULL)
         ORDER BY e.occurred_at, e.event_id LIMIT $3",
    )
    .bind(incident.0)
    .bind(evidence_only)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// A rule as stored.
#[derive(sqlx::FromRow)]
struct RuleRow {
    rule_code: String,
    incident_kind: String,
    camera_kind: Option<String>,
    min_score: f64,
    priority: String,
    category_code: String,
    units: Vec<String>,
    active: bool,
}

fn rule_unit(stored: &str) -> Result<RuleUnit, UnknownStoredValue> {
    match stored.split_once(':') {
        None if stored == "MICRO_GRID" => Ok(RuleUnit::MicroGrid),
        Some(("DEPARTMENT", rest)) => match rest.split_once(':') {
            Some((code, name)) if !code.is_empty() => Ok(RuleUnit::Department {
                code: code.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err(UnknownStoredValue::new("ticket_rules", "units", stored)),
        },
        _ => Err(UnknownStoredValue::new("ticket_rules", "units", stored)),
    }
}

impl TryFrom<RuleRow> for TicketRule {
    type Error = UnknownStoredValue;

    fn try_from(r: RuleRow) -> Result<Self, Self::Error> {
        Ok(TicketRule {
            incident_kind: incident_kind("ticket_rules", "incident_kind", &r.incident_kind)?,
            camera_kind: r
                .camera_kind
                .as_deref()
                .map(|k| camera_kind("ticket_rules", k))
                .transpose()?,
            min_score: r.min_score,
            priority: priority("ticket_rules", &r.priority)?,
            category_code: r.category_code,
            units: r
                .units
                .iter()
                .map(|u| rule_unit(u))
                .collect::<Result<_, _>>()?,
            active: r.active,
            code: r.rule_code,
        })
    }
}

/// Returns the active rules for incidents of `kind`.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn rules_for(
    conn: &mut PgConnection,
    kind: IncidentKind,
) -> Result<Vec<TicketRule>, sqlx::Error> {
    let rows: Vec<RuleRow> = sqlx::query_as(
        "SELECT rule_code, incident_kind, camera_kind, min_score, priority, category_code, units, active
         FROM ticket_rules WHERE active AND incident_kind = $1 ORDER BY rule_code",
    )
    .bind(kind.as_str())
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Records that `incident` asked for `ticket`; returns false when it had
/// (the rule and unit ask once).
///
/// # Errors
/// The database fails.
pub async fn ask_ticket(
    conn: &mut PgConnection,
    incident: IncidentId,
    ticket: &AskedTicket,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO incident_tickets (incident_id, rule_code, unit_kind, unit_code, priority, ticket_ref, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(incident.0)
    .bind(&ticket.rule_code)
    .bind(&ticket.unit_kind)
    .bind(&ticket.unit_code)
    .bind(ticket.priority.as_str())
    .bind(&ticket.ticket_ref)
    .bind(ticket.requested_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// A ticket asked for, as stored.
#[derive(sqlx::FromRow)]
struct AskedRow {
    rule_code: String,
    unit_kind: String,
    unit_code: String,
    priority: String,
    ticket_ref: String,
    requested_at: DateTime<Utc>,
}

impl TryFrom<AskedRow> for AskedTicket {
    type Error = UnknownStoredValue;

    fn try_from(r: AskedRow) -> Result<Self, Self::Error> {
        Ok(AskedTicket {
            priority: priority("incident_tickets", &r.priority)?,
            rule_code: r.rule_code,
            unit_kind: r.unit_kind,
            unit_code: r.unit_code,
            ticket_ref: r.ticket_ref,
            requested_at: r.requested_at,
        })
    }
}

/// Returns the tickets `incident` asked for, in the order asked.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn tickets_of(
    conn: &mut PgConnection,
    incident: IncidentId,
) -> Result<Vec<AskedTicket>, sqlx::Error> {
    let rows: Vec<AskedRow> = sqlx::query_as(
        "SELECT rule_code, unit_kind, unit_code, priority, ticket_ref, requested_at
         FROM incident_tickets WHERE incident_id = $1 ORDER BY requested_at, ticket_ref",
    )
    .bind(incident.0)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}
