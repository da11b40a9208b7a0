//! Intake: a request for a ticket, checked against the rules every channel
//! shares, becomes a new ticket.

use kernel::FieldViolation;

use super::category::Category;
use super::channel::Channel;
use super::error::DomainError;
use super::grid::{LatLng, Placement};

/// A request for a ticket, as a caller or another service's event makes it
/// (not yet checked).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketRequest {
    /// The client's key: with no channel reference, it makes the same
    /// request twice one ticket.
    pub idempotency_key: String,
    /// `None` when the request names no intake channel.
    pub channel: Option<Channel>,
    /// The channel's own reference (the 12345 order number).
    pub external_ref: String,
    pub category_code: String,
    pub title: String,
    pub description: String,
    pub location: Option<LatLng>,
    /// The reporter finds the case difficult (it then goes to the desk).
    pub difficult: bool,
    pub reporter_phone: String,
    /// How urgent; `None` (unspecified) is normal.
    pub priority: Option<Priority>,
}

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    #[default]
    Normal,
    /// First in the desk queue (a camera's fire).
    Urgent,
}

impl Priority {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "NORMAL",
            Priority::Urgent => "URGENT",
        }
    }

    /// Returns the priority stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Priority::Normal, Priority::Urgent]
            .into_iter()
            .find(|p| p.as_str() == name)
    }
}

/// A checked request: what a new ticket is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub channel: Channel,
    /// The channel's reference, else the client's key: the same order twice
    /// is one ticket.
    pub reference: Option<String>,
    pub category: Category,
    pub title: String,
    pub description: String,
    pub location: Option<LatLng>,
    pub difficult: bool,
    pub reporter_phone: Option<String>,
    pub priority: Priority,
}

/// A new ticket and where it lies, ready to be taken in.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub ticket: NewTicket,
    /// The micro-grid holding its location, when the registry knew one.
    pub placement: Option<Placement>,
    /// The registry could not be asked: the ticket waits to be routed.
    pub unrouted: bool,
}

impl Intake {
    /// Returns the place to look for an open ticket this one repeats: its
    /// location, when it lies in a micro-grid or may (the registry was away).
    pub fn place_to_compare(&self) -> Option<LatLng> {
        self.ticket
            .location
            .filter(|_| self.placement.is_some() || self.unrouted)
    }
}

fn is_mobile_number(phone: &str) -> bool {
    phone.len() == 11 && phone.starts_with('1') && phone.chars().all(|c| c.is_ascii_digit())
}

impl TicketRequest {
    /// Checks the request and the category it names (`None`: no such
    /// category); returns the new ticket it describes.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming every broken rule, in field order.
    pub fn check(self, category: Option<Category>) -> Result<NewTicket, DomainError> {
        let mut broken = Vec::new();
        let mut breaks = |field: &str, rule: String| broken.push(FieldViolation::new(field, rule));
        match self.channel {
            None => breaks("channel", "must be an intake channel".into()),
            Some(c) if c.requires_reference() && self.external_ref.trim().is_empty() => breaks(
                "external_ref",
                format!(
                    "is required for {}: the channel's own order number",
                    c.as_str()
                ),
            ),
            _ => {}
        }
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            breaks("title", "must be 1 to 200 characters".into());
        }
        if self.description.chars().count() > 4000 {
            breaks("description", "must be at most 4000 characters".into());
        }
        match self.location {
            Some(l) if !(-90.0..=90.0).contains(&l.lat) || !(-180.0..=180.0).contains(&l.lng) => {
                breaks(
                    "location",
                    "must be a latitude in -90..90 and a longitude in -180..180".into(),
                )
            }
            None if self.channel.is_some_and(Channel::reports_from_the_field) => {
                breaks("location", "is required for reports from the field".into())
            }
            _ => {}
        }
        if !self.reporter_phone.is_empty() && !is_mobile_number(&self.reporter_phone) {
            breaks(
                "reporter_phone",
                "must be an 11-digit mobile number starting with 1".into(),
            );
        }
        match &category {
            None => breaks(
                "category_code",
                format!("names no category: {}", self.category_code.trim()),
            ),
            Some(c) if !c.active => {
                breaks("category_code", format!("{} is no longer in use", c.code))
            }
            _ => {}
        }
        match (self.channel, category) {
            (Some(channel), Some(category)) if broken.is_empty() => Ok(NewTicket {
                channel,
                reference: self.reference(),
                category,
                title: title.to_owned(),
                description: self.description.trim().to_owned(),
                location: self.location,
                difficult: self.difficult,
                reporter_phone: Some(self.reporter_phone.clone()).filter(|p| !p.is_empty()),
                priority: self.priority.unwrap_or_default(),
            }),
            _ => Err(DomainError::Invalid(broken)),
        }
    }

    /// Returns the reference that makes the same order twice one ticket:
    /// the channel's own, else the client's key.
    pub fn reference(&self) -> Option<String> {
        Some(self.external_ref.trim())
            .filter(|r| !r.is_empty())
            .or(Some(self.idempotency_key.trim()).filter(|k| !k.is_empty()))
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::sanitation;

    #[test]
    fn bad_intake_names_every_field_in_order() {
        let request = TicketRequest {
            channel: Some(Channel::Hotline12345),
            category_code: " ASTROLOGY ".into(),
            reporter_phone: "110".into(),
            ..Default::default()
        };
        let Err(DomainError::Invalid(broken)) = request.check(None) else {
            panic!("the request is refused");
        };
        let fields: Vec<_> = broken.iter().map(|b| b.field.as_str()).collect();
        assert_eq!(
            fields,
            ["external_ref", "title", "reporter_phone", "category_code"]
        );
        assert_eq!(broken[3].rule, "names no category: ASTROLOGY");
    }

    #[test]
    fn the_channel_reference_else_the_key_makes_an_order_one_ticket() {
        let request = TicketRequest {
            idempotency_key: "key-1".into(),
            channel: Some(Channel::GridPatrol),
            title: " 河边垃圾 ".into(),
            location: Some(LatLng {
                lat: 30.0,
                lng: 121.0,
            }),
            ..Default::default()
        };
        let ticket = request.clone().check(Some(sanitation())).unwrap();
        assert_eq!(ticket.reference.as_deref(), Some("key-1"));
        assert_eq!(ticket.title, "河边垃圾");
        let hotline = TicketRequest {
            channel: Some(Channel::Hotline12345),
            external_ref: " 12345-0001 ".into(),
            ..request
        };
        assert_eq!(hotline.reference().as_deref(), Some("12345-0001"));
    }
}
