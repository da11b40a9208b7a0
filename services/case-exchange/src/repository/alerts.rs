//! CAP alerts issued here and received from peers, kept as their XML, and
//! the recipients this node fanned them out to with their acknowledgements.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;

use crate::domain::alliance::{AckState, AlertAck, Recipient};
use crate::domain::cap::{AlertDirection, CapAlert, KeptAlert};
use crate::domain::ids::MemberId;

#[derive(sqlx::FromRow)]
struct AlertRow {
    direction: String,
    cap_xml: String,
}

impl TryFrom<AlertRow> for KeptAlert {
    type Error = UnknownStoredValue;

    fn try_from(row: AlertRow) -> Result<Self, Self::Error> {
        let direction = AlertDirection::parse(&row.direction)
            .ok_or_else(|| UnknownStoredValue::new("alerts", "direction", &row.direction))?;
        let alert = CapAlert::parse(&row.cap_xml)
            .map_err(|err| UnknownStoredValue::new("alerts", "cap_xml", err.to_string()))?;
        Ok(KeptAlert {
            direction,
            alert,
            xml: row.cap_xml,
        })
    }
}

/// Records an alert; returns false when it was recorded before (the same
/// sender and identifier).
#[tracing::instrument(skip_all, fields(identifier = %alert.identifier))]
pub async fn insert(
    conn: &mut PgConnection,
    direction: AlertDirection,
    alert: &CapAlert,
    xml: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO alerts (sender, identifier, direction, msg_type, sent, cap_xml, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&alert.sender)
    .bind(&alert.identifier)
    .bind(direction.as_str())
    .bind(&alert.msg_type)
    .bind(alert.sent.to_utc())
    .bind(xml)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Returns alerts, newest first, of one direction when given.
pub async fn list(
    conn: &mut PgConnection,
    direction: Option<AlertDirection>,
    limit: u32,
) -> Result<Vec<KeptAlert>, sqlx::Error> {
    let rows: Vec<AlertRow> = sqlx::query_as(
        "SELECT direction, cap_xml FROM alerts WHERE ($1::text IS NULL OR direction = $1)
         ORDER BY recorded_at DESC, identifier DESC LIMIT $2",
    )
    .bind(direction.map(AlertDirection::as_str))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(KeptAlert::try_from)
        .collect::<Result<_, _>>()
        .map_err(sqlx::Error::from)
}

#[derive(sqlx::FromRow)]
struct AckRow {
    sender: String,
    identifier: String,
    recipient_kind: String,
    recipient: String,
    state: String,
    notified_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    acked_at: Option<DateTime<Utc>>,
    acked_by: String,
}

impl TryFrom<AckRow> for AlertAck {
    type Error = UnknownStoredValue;

    fn try_from(row: AckRow) -> Result<Self, Self::Error> {
        let recipient = match row.recipient_kind.as_str() {
            "PEER" => Recipient::Peer(row.recipient),
            "MEMBER" => Recipient::Member(MemberId::parse(&row.recipient).ok_or_else(|| {
                UnknownStoredValue::new("alert_acks", "recipient", &row.recipient)
            })?),
            other => {
                return Err(UnknownStoredValue::new(
                    "alert_acks",
                    "recipient_kind",
                    other,
                ));
            }
        };
        Ok(AlertAck {
            sender: row.sender,
            identifier: row.identifier,
            recipient,
            state: AckState::parse(&row.state)
                .ok_or_else(|| UnknownStoredValue::new("alert_acks", "state", &row.state))?,
            notified_at: row.notified_at,
            due_at: row.due_at,
            acked_at: row.acked_at,
            acked_by: row.acked_by,
        })
    }
}

fn recipient_columns(recipient: &Recipient) -> (&'static str, String) {
    match recipient {
        Recipient::Peer(node) => ("PEER", node.clone()),
        Recipient::Member(id) => ("MEMBER", id.to_string()),
    }
}

const ACK_COLUMNS: &str = "sender, identifier, recipient_kind, recipient, state, notified_at, \
     due_at, acked_at, acked_by";

/// Records a recipient of an alert (once).
pub async fn insert_ack(conn: &mut PgConnection, ack: &AlertAck) -> Result<(), sqlx::Error> {
    let (kind, recipient) = recipient_columns(&ack.recipient);
    sqlx::query(
        "INSERT INTO alert_acks (sender, identifier, recipient_kind, recipient, state,
             notified_at, due_at, acked_at, acked_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(&ack.sender)
    .bind(&ack.identifier)
    .bind(kind)
    .bind(recipient)
    .bind(ack.state.as_str())
    .bind(ack.notified_at)
    .bind(ack.due_at)
    .bind(ack.acked_at)
    .bind(&ack.acked_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves a recipient's state.
pub async fn save_ack(conn: &mut PgConnection, ack: &AlertAck) -> Result<(), sqlx::Error> {
    let (kind, recipient) = recipient_columns(&ack.recipient);
    sqlx::query(
        "UPDATE alert_acks SET state = $5, acked_at = $6, acked_by = $7
         WHERE sender = $1 AND identifier = $2 AND recipient_kind = $3 AND recipient = $4",
    )
    .bind(&ack.sender)
    .bind(&ack.identifier)
    .bind(kind)
    .bind(recipient)
    .bind(ack.state.as_str())
    .bind(ack.acked_at)
    .bind(&ack.acked_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the recipient of the alert (`sender`, `identifier`), locked for
/// the caller's work.
pub async fn load_ack_for_update(
    conn: &mut PgConnection,
    sender: &str,
    identifier: &str,
    recipient: &Recipient,
) -> Result<Option<AlertAck>, sqlx::Error> {
    let (kind, id) = recipient_columns(recipient);
    let row: Option<AckRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ACK_COLUMNS} FROM alert_acks
         WHERE sender = $1 AND identifier = $2 AND recipient_kind = $3 AND recipient = $4 FOR UPDATE"
    )))
    .bind(sender)
    .bind(identifier)
    .bind(kind)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(AlertAck::try_from)
        .transpose()
        .map_err(sqlx::Error::from)
}

/// Returns the recipients of the alert (`sender`, `identifier`), peers
/// first; locked for the caller's work when `lock`.
pub async fn acks(
    conn: &mut PgConnection,
    sender: &str,
    identifier: &str,
    lock: bool,
) -> Result<Vec<AlertAck>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let rows: Vec<AckRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ACK_COLUMNS} FROM alert_acks WHERE sender = $1 AND identifier = $2
         ORDER BY recipient_kind DESC, recipient{lock}"
    )))
    .bind(sender)
    .bind(identifier)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(AlertAck::try_from)
        .collect::<Result<_, _>>()
        .map_err(sqlx::Error::from)
}

/// Returns the alerts (`sender`, `identifier`) with a recipient overdue at
/// `now`, at most `limit`.
pub async fn overdue(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT DISTINCT sender, identifier FROM alert_acks
         WHERE state = 'NOTIFIED' AND due_at <= $1 LIMIT $2",
    )
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
}

/// Returns the alert (`sender`, `identifier`) as kept, if it is.
pub async fn get(
    conn: &mut PgConnection,
    sender: &str,
    identifier: &str,
) -> Result<Option<KeptAlert>, sqlx::Error> {
    let row: Option<AlertRow> = sqlx::query_as(
        "SELECT direction, cap_xml FROM alerts WHERE sender = $1 AND identifier = $2",
    )
    .bind(sender)
    .bind(identifier)
    .fetch_optional(conn)
    .await?;
    row.map(KeptAlert::try_from)
        .transpose()
        .map_err(sqlx::Error::from)
}
