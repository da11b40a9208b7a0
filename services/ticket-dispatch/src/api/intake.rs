//! CreateTicket: intake from every channel.

use platform::auth::Caller;
use platform::error::FieldViolation;
use platform::idempotency::{self, IdempotencyKey};
use proto::dispatch::v1 as pb;
use uuid::Uuid;

use super::{ApiError, DispatchApi, convert};
use crate::domain::channel::{Channel, Route, triage};
use crate::domain::deadline::TimeLimit;
use crate::domain::escalation::UnitKind;
use crate::domain::state::Action;
use crate::registry::Placement;
use crate::repository::categories;
use crate::repository::tickets::{self, TicketRow};
use crate::workflow::{self, Move, UnitRef};

fn check_phone(phone: &str, out: &mut Vec<FieldViolation>) {
    let ok =
        phone.len() == 11 && phone.starts_with('1') && phone.chars().all(|c| c.is_ascii_digit());
    if !ok {
        out.push(FieldViolation::new(
            "reporter_phone",
            "must be an 11-digit mobile number starting with 1",
        ));
    }
}

impl DispatchApi {
    /// Takes a ticket in as CreateTicket does, for callers inside the
    /// service (events from other services).
    ///
    /// # Errors
    /// As CreateTicket.
    pub async fn intake(
        &self,
        caller: Caller,
        request: pb::CreateTicketRequest,
    ) -> Result<pb::CreateTicketResponse, ApiError> {
        self.create_ticket(caller, request).await
    }

    #[tracing::instrument(skip_all, fields(channel = request.channel, external_ref = %request.external_ref))]
    pub(super) async fn create_ticket(
        &self,
        caller: Caller,
        request: pb::CreateTicketRequest,
    ) -> Result<pb::CreateTicketResponse, ApiError> {
        let mut violations = Vec::new();
        let channel = convert::channel_from(request.channel);
        match channel {
            None => violations.push(FieldViolation::new("channel", "must be an intake channel")),
            Some(c) if c.requires_reference() && request.external_ref.trim().is_empty() => {
                violations.push(FieldViolation::new(
                    "external_ref",
                    format!(
                        "is required for {}: the channel's own order number",
                        c.as_str()
                    ),
                ))
            }
            _ => {}
        }
        let title = request.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            violations.push(FieldViolation::new("title", "must be 1 to 200 characters"));
        }
        if request.description.chars().count() > 4000 {
            violations.push(FieldViolation::new(
                "description",
                "must be at most 4000 characters",
            ));
        }
        if let Some(l) = &request.location {
            if !(-90.0..=90.0).contains(&l.lat) || !(-180.0..=180.0).contains(&l.lng) {
                violations.push(FieldViolation::new(
                    "location",
                    "must be a latitude in -90..90 and a longitude in -180..180",
                ));
            }
        } else if matches!(
            channel,
            Some(Channel::GridPatrol | Channel::VillagerApp | Channel::VideoAlarm)
        ) {
            violations.push(FieldViolation::new(
                "location",
                "is required for reports from the field",
            ));
        }
        if !request.reporter_phone.is_empty() {
            check_phone(&request.reporter_phone, &mut violations);
        }
        let mut conn = self.pool.acquire().await?;
        let category = categories::get(&mut conn, request.category_code.trim()).await?;
        match &category {
            None => violations.push(FieldViolation::new(
                "category_code",
                format!("names no category: {}", request.category_code.trim()),
            )),
            Some(c) if !c.active => violations.push(FieldViolation::new(
                "category_code",
                format!("{} is no longer in use", c.code),
            )),
            _ => {}
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let (channel, category) = (channel.expect("checked"), category.expect("checked"));
        // The channel's own reference, else the client's key, makes the same
        // order twice one ticket.
        let reference = Some(request.external_ref.trim())
            .filter(|r| !r.is_empty())
            .or(Some(request.idempotency_key.trim()).filter(|k| !k.is_empty()))
            .map(str::to_owned);
        if let Some(reference) = &reference
            && let Some(existing) =
                tickets::by_reference(&mut conn, channel.as_str(), reference).await?
        {
            return self.ticket_response(&mut conn, &existing, &caller).await;
        }
        drop(conn);

        // Where is it? The registry may be down: the ticket is accepted all
        // the same and waits, visibly unrouted, for the router.
        let placement = match &request.location {
            None => Ok(None),
            Some(l) => {
                self.registry
                    .resolve(l.lat, l.lng, Some(caller.token()))
                    .await
            }
        };
        let (placement, unrouted): (Option<Placement>, bool) = match placement {
            Ok(p) => (p, false),
            Err(err) => {
                tracing::warn!(error = %err, "ticket accepted unrouted");
                (None, true)
            }
        };

        let now = self.clock.now();
        let limit = channel
            .time_limit(&self.limits)
            .unwrap_or(TimeLimit::WorkingDays(category.working_days as u32));
        let (limit_kind, limit_value) = match limit {
            TimeLimit::Hours(h) => ("HOURS", h),
            TimeLimit::WorkingDays(d) => ("WORKING_DAYS", d),
        };
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "CreateTicket",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let mut ticket = TicketRow {
            ticket_id: Uuid::now_v7(),
            number: tickets::next_number(
                &mut txn,
                "LX",
                chrono::Datelike::year(&now.with_timezone(&crate::domain::calendar::shanghai())),
            )
            .await?,
            channel: channel.as_str().to_owned(),
            external_ref: reference,
            category_code: category.code.clone(),
            title: title.to_owned(),
            description: request.description.trim().to_owned(),
            lat: request.location.as_ref().map(|l| l.lat),
            lng: request.location.as_ref().map(|l| l.lng),
            micro_grid_code: placement.as_ref().map(|p| p.micro_grid_code.clone()),
            village_code: placement.as_ref().and_then(|p| p.village_code.clone()),
            state: "RECEIVED".into(),
            unrouted,
            difficult: request.difficult || category.difficult,
            assignee_kind: None,
            assignee_code: None,
            assignee_name: None,
            received_at: now,
            dispatched_at: None,
            limit_kind: limit_kind.into(),
            limit_value: limit_value as i32,
            extension_days: 0,
            paused_since: None,
            paused_total_ms: 0,
            due_at: None,
            satisfaction: None,
            returns: 0,
            escalation_level: 0,
            reporter_phone: (!request.reporter_phone.is_empty())
                .then(|| request.reporter_phone.clone()),
            version: 1,
            updated_at: now,
            duplicate_of: None,
        };
        let original = match (&request.location, placement.is_some() || unrouted) {
            (Some(l), true) => {
                self.find_original(&mut txn, &category.code, l.lat, l.lng, now)
                    .await?
            }
            _ => None,
        };
        ticket.duplicate_of = original.as_ref().map(|o| o.ticket_id);
        if !tickets::insert(&mut txn, &ticket).await? {
            // The same order arrived twice at once; the first one won.
            txn.rollback().await?;
            let mut conn = self.pool.acquire().await?;
            let existing = tickets::by_reference(
                &mut conn,
                channel.as_str(),
                ticket.external_ref.as_deref().unwrap_or_default(),
            )
            .await?
            .ok_or_else(|| anyhow::anyhow!("ticket vanished after a conflicting insert"))?;
            return self.ticket_response(&mut conn, &existing, &caller).await;
        }
        workflow::received(
            &mut txn,
            &ticket,
            &caller.subject,
            original.as_ref().map(|o| o.number.as_str()),
        )
        .await?;
        if let Some(p) = placement.as_ref().filter(|_| {
            original.is_none() && triage(channel, ticket.difficult, true) == Route::MicroGrid
        }) {
            let unit = UnitRef {
                kind: UnitKind::MicroGrid,
                code: p.micro_grid_code.clone(),
                name: p.micro_grid_name.clone(),
            };
            let mv = Move {
                action: Action::Dispatch,
                actor: "dispatch".into(),
                reason: Some("simple case: to its micro-grid".into()),
                unit: Some(unit),
                at: now,
                cause: None,
            };
            workflow::apply(&mut txn, &self.rules, &mut ticket, mv).await?;
        }
        let history = tickets::history(&mut txn, ticket.ticket_id).await?;
        let tasks = crate::repository::tasks::of_ticket(&mut txn, ticket.ticket_id).await?;
        let response = pb::CreateTicketResponse {
            ticket: Some(convert::ticket(&ticket, &history, &tasks)),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.waker.wake();
        tracing::info!(ticket = %ticket.number, state = %ticket.state, unrouted, "ticket received");
        Ok(response)
    }

    /// Returns the open ticket a new report at (lat, lng) repeats: the same
    /// category, within the configured distance, received within the window.
    async fn find_original(
        &self,
        conn: &mut sqlx::PgConnection,
        category: &str,
        lat: f64,
        lng: f64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<TicketRow>, ApiError> {
        let around = platform::nearby::Around {
            lat,
            lng,
            radius_m: self.duplicates.radius_m,
        };
        if around.radius_m <= 0.0 {
            return Ok(None);
        }
        let since = now
            - chrono::TimeDelta::from_std(self.duplicates.window)
                .unwrap_or(chrono::TimeDelta::days(3));
        let candidates =
            tickets::open_nearby(conn, category, (lat, lng), around.box_degrees(), since).await?;
        Ok(around.nearest(candidates, |t| Some((t.lat?, t.lng?))))
    }

    async fn ticket_response(
        &self,
        conn: &mut sqlx::PgConnection,
        ticket: &TicketRow,
        caller: &Caller,
    ) -> Result<pb::CreateTicketResponse, ApiError> {
        if !super::may_see(caller, ticket) {
            return Err(ApiError::PermissionDenied(
                "this order number belongs to a ticket outside your scope".into(),
            ));
        }
        let history = tickets::history(conn, ticket.ticket_id).await?;
        let tasks = crate::repository::tasks::of_ticket(conn, ticket.ticket_id).await?;
        Ok(pb::CreateTicketResponse {
            ticket: Some(convert::ticket(ticket, &history, &tasks)),
        })
    }
}
