//! CAP alerts issued here and received from peers, kept as their XML.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;

use crate::domain::cap::{AlertDirection, CapAlert, KeptAlert};

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
