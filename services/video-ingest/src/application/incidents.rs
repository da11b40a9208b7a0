//! Incidents: analytic events (from the consumer of
//! `video.analytic.received`) and usable alarms (from the gateway) join
//! the incident of their camera and kind within the window, or open one;
//! the ticket rules then say which tickets the incident asks dispatch for,
//! each once, published as `video.ticket.requested` with the work (the
//! outbox: no call to dispatch while the work is open). And the queries.

use platform::error::AppError;
use platform::uow::Work;
use prost::Message;

use super::Context;
use crate::domain::SERVICE;
use crate::domain::camera::CameraView;
use crate::domain::gbid::GbId;
use crate::domain::ids::IncidentId;
use crate::domain::incident::{Incident, IncidentKind, Sighting};
use crate::domain::rules::{self, AskedTicket};
use crate::events::{self, Evidence};
use crate::repository::{devices, incidents};

/// How many evidence references a ticket lists at most (the rest are in
/// the incident, which the ticket names).
const MAX_REFERENCES: usize = 10;

/// Returns the camera an event names, read before the work opens.
///
/// # Errors
/// The database fails.
pub async fn camera_of(ctx: &Context, channel: &GbId) -> Result<Option<CameraView>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(devices::camera(&mut conn, channel).await?)
}

/// Adds `seen` (sightings, each with its camera) to their incidents inside
/// `work`. Each camera's sightings of one kind are taken in order: one
/// joins the incident the one before it joined when it lies within the
/// window of it, else the incident of its camera and kind within the
/// window, else it opens one. Each incident touched is saved once and asks
/// for the tickets the rules call for once, after all its sightings; a
/// sighting taken before (or twice in `seen`) is skipped.
///
/// # Errors
/// The database fails, or a stored rule is unknown.
pub async fn take_sightings<A: Message>(
    work: &mut Work<A>,
    ctx: &Context,
    seen: &[(&CameraView, &Sighting)],
) -> Result<(), AppError> {
    let window = ctx.analytics.window;
    // The sightings of each camera and kind, in order; the streams in the
    // order of their names, which is the order their locks are taken in
    // (so two works taking several never wait on each other in a circle).
    let mut streams: Vec<(&CameraView, IncidentKind, Vec<&Sighting>)> = Vec::new();
    for &(camera, sighting) in seen {
        let stream = streams
            .iter_mut()
            .find(|(c, kind, _)| c.camera.id == camera.camera.id && *kind == sighting.kind);
        match stream {
            Some((_, _, sightings)) => sightings.push(sighting),
            None => streams.push((camera, sighting.kind, vec![sighting])),
        }
    }
    streams.sort_by(|a, b| {
        (a.0.camera.id.as_str(), a.1.as_str()).cmp(&(b.0.camera.id.as_str(), b.1.as_str()))
    });
    for (camera, kind, _) in &streams {
        incidents::lock_stream(work.conn(), &camera.camera.id, *kind).await?;
    }
    let ids: Vec<uuid::Uuid> = seen.iter().map(|(_, s)| s.id).collect();
    let mut taken = incidents::taken(work.conn(), &ids).await?;
    // Fires first: their tickets are asked before any other's.
    streams.sort_by_key(|(_, kind, _)| *kind != IncidentKind::Fire);
    for (camera, _, sightings) in streams {
        // The incident the last sighting joined, and whether it changed
        // since it was stored; the incidents done with, as they ended.
        let mut current: Option<(Incident, bool)> = None;
        let mut touched: Vec<Incident> = Vec::new();
        for sighting in sightings {
            if !taken.insert(sighting.id) {
                continue;
            }
            let joined = match &mut current {
                Some((incident, changed)) if incident.takes(sighting, window) => {
                    incident.add(sighting);
                    *changed = true;
                    incident.id
                }
                _ => {
                    if let Some(done) = current.take() {
                        keep(work, &mut touched, done).await?;
                    }
                    let (incident, changed) = join_or_open(work, camera, sighting, window).await?;
                    let id = incident.id;
                    current = Some((incident, changed));
                    id
                }
            };
            incidents::add_event(work.conn(), joined, sighting).await?;
        }
        if let Some(done) = current.take() {
            keep(work, &mut touched, done).await?;
        }
        for incident in &touched {
            ask_tickets(work, camera, incident).await?;
        }
    }
    Ok(())
}

/// Adds `sighting` to the stored incident of its camera and kind within
/// `window` of it, or opens one; returns it, and whether it changed since
/// it was stored.
async fn join_or_open<A: Message>(
    work: &mut Work<A>,
    camera: &CameraView,
    sighting: &Sighting,
    window: chrono::TimeDelta,
) -> Result<(Incident, bool), AppError> {
    let now = work.now();
    let channel = &camera.camera.id;
    let found = incidents::open_around(
        work.conn(),
        channel,
        sighting.kind,
        sighting.occurred_at,
        window,
    )
    .await?;
    Ok(match found.filter(|i| i.takes(sighting, window)) {
        Some(mut incident) => {
            incident.add(sighting);
            (incident, true)
        }
        None => {
            let incident = Incident::open(camera, sighting);
            incidents::insert(work.conn(), &incident, now).await?;
            work.publish(events::incident_opened(&incident, SERVICE, now));
            tracing::info!(incident_id = %incident.id, channel_id = %channel, kind = incident.kind.as_str(), "incident opened");
            (incident, false)
        }
    })
}

/// Stores an incident done with (when it changed) and keeps its latest
/// state among those `touched`.
async fn keep<A: Message>(
    work: &mut Work<A>,
    touched: &mut Vec<Incident>,
    (incident, changed): (Incident, bool),
) -> Result<(), AppError> {
    if changed {
        incidents::save(work.conn(), &incident).await?;
    }
    touched.retain(|t| t.id != incident.id);
    touched.push(incident);
    Ok(())
}

/// Asks for the tickets the rules call for `incident`, the most urgent
/// first, each rule and unit once per incident. The tickets asked before
/// are read first: an event joining a long incident whose tickets are all
/// asked reads nothing more (its evidence is read only for a new ticket).
async fn ask_tickets<A: Message>(
    work: &mut Work<A>,
    camera: &CameraView,
    incident: &Incident,
) -> Result<(), AppError> {
    let now = work.now();
    let rules = incidents::rules_for(work.conn(), incident.kind).await?;
    let matched = rules::matching(&rules, incident);
    if matched.is_empty() {
        return Ok(());
    }
    let asked = incidents::tickets_of(work.conn(), incident.id).await?;
    let is_new = |rule: &rules::TicketRule, unit: &rules::RuleUnit| {
        !asked.iter().any(|a| {
            a.rule_code == rule.code && a.unit_kind == unit.kind() && a.unit_code == unit.code()
        })
    };
    let new: Vec<_> = matched
        .into_iter()
        .flat_map(|rule| rule.units.iter().map(move |unit| (rule, unit)))
        .filter(|(rule, unit)| is_new(rule, unit))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    let limit = i64::try_from(MAX_REFERENCES).unwrap_or(i64::MAX);
    let references: Vec<String> = incidents::evidence_of(work.conn(), incident.id, limit)
        .await?
        .iter()
        .filter_map(|s| match (&s.snapshot, s.alarm) {
            (Some(snap), _) => Some(format!("{} sha256:{}", snap.reference, snap.sha256)),
            (None, Some(alarm)) => Some(format!("alarm {alarm}")),
            (None, None) => None,
        })
        .collect();
    let evidence = Evidence {
        camera_name: &camera.camera.name,
        references,
    };
    for (rule, unit) in new {
        let asked = AskedTicket {
            rule_code: rule.code.clone(),
            unit_kind: unit.kind().to_owned(),
            unit_code: unit.code().to_owned(),
            priority: rule.priority,
            ticket_ref: rule.ticket_key(incident, unit),
            requested_at: now,
        };
        if incidents::ask_ticket(work.conn(), incident.id, &asked).await? {
            work.publish(events::incident_ticket_requested(
                incident, rule, unit, &evidence, SERVICE, now,
            ));
            tracing::info!(incident_id = %incident.id, rule = %rule.code, unit = unit.kind(), priority = rule.priority.as_str(), "ticket requested");
        }
    }
    Ok(())
}

/// An incident with its events and tickets.
#[derive(Debug, Clone)]
pub struct IncidentView {
    pub incident: Incident,
    pub history: Vec<Sighting>,
    pub tickets: Vec<AskedTicket>,
}

/// ListIncidents: newest first.
///
/// # Errors
/// The database fails.
pub async fn list_incidents(
    ctx: &Context,
    channel: Option<GbId>,
    kind: Option<IncidentKind>,
    limit: i64,
) -> Result<Vec<Incident>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(incidents::list(&mut conn, channel.as_ref(), kind, limit).await?)
}

/// GetIncident.
///
/// # Errors
/// NOT_FOUND; the database.
pub async fn get_incident(ctx: &Context, id: IncidentId) -> Result<IncidentView, AppError> {
    let mut conn = ctx.units.read().await?;
    let incident = incidents::get(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("incident {id}")))?;
    let history = incidents::events_of(&mut conn, id).await?;
    let tickets = incidents::tickets_of(&mut conn, id).await?;
    Ok(IncidentView {
        incident,
        history,
        tickets,
    })
}
