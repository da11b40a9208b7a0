//! CAP 1.2 (OASIS Common Alerting Protocol) alerts: made here as XML and
//! read from a peer's XML, checked element by element. An alert travels as
//! the XML inside a signed envelope; a malformed one is refused naming the
//! element that is wrong. This profile asks for at least one `info` with
//! at least one `area` (the federation's alerts are always about a place).

use chrono::{DateTime, FixedOffset, SecondsFormat};

/// CAP 1.2's namespace.
pub const NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

const STATUSES: [&str; 5] = ["Actual", "Exercise", "System", "Test", "Draft"];
const MSG_TYPES: [&str; 5] = ["Alert", "Update", "Cancel", "Ack", "Error"];
const SCOPES: [&str; 3] = ["Public", "Restricted", "Private"];
/// CAP's categories.
pub const CATEGORIES: [&str; 12] = [
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
];
/// CAP's urgencies.
pub const URGENCIES: [&str; 5] = ["Immediate", "Expected", "Future", "Past", "Unknown"];
/// CAP's severities.
pub const SEVERITIES: [&str; 5] = ["Extreme", "Severe", "Moderate", "Minor", "Unknown"];
/// CAP's certainties.
pub const CERTAINTIES: [&str; 5] = ["Observed", "Likely", "Possible", "Unlikely", "Unknown"];

/// One CAP 1.2 alert message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapAlert {
    pub identifier: String,
    pub sender: String,
    /// To the second, with its offset (CAP forbids `Z`).
    pub sent: DateTime<FixedOffset>,
    pub status: String,
    pub msg_type: String,
    pub scope: String,
    /// Required for a Restricted scope.
    pub restriction: String,
    /// Required for a Private scope.
    pub addresses: String,
    /// `sender,identifier,sent` of earlier messages (an Ack's, an Update's).
    pub references: Vec<String>,
    /// A note (an Ack's: who acknowledged).
    pub note: String,
    pub info: Vec<CapInfo>,
}

/// One `info` block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapInfo {
    pub language: String,
    pub categories: Vec<String>,
    pub event: String,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    pub sender_name: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub expires: Option<DateTime<FixedOffset>>,
    pub areas: Vec<CapArea>,
}

/// One `area` block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapArea {
    pub area_desc: String,
    /// `lat,lon radius-km`.
    pub circles: Vec<String>,
}

/// Which way an alert went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertDirection {
    Issued,
    Received,
}

impl AlertDirection {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertDirection::Issued => "ISSUED",
            AlertDirection::Received => "RECEIVED",
        }
    }

    /// Returns the direction stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Issued, Self::Received]
            .into_iter()
            .find(|d| d.as_str() == text)
    }
}

/// An alert as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAlert {
    pub direction: AlertDirection,
    pub alert: CapAlert,
    pub xml: String,
}

/// What is wrong with a CAP message: the element and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CAP <{element}>: {problem}")]
pub struct CapError {
    pub element: String,
    pub problem: String,
}

fn wrong(element: &str, problem: impl Into<String>) -> CapError {
    CapError {
        element: element.to_owned(),
        problem: problem.into(),
    }
}

/// Returns a time as CAP writes it: seconds and an offset, never `Z`.
pub fn cap_time(at: DateTime<FixedOffset>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Escapes text for XML content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn element(out: &mut String, indent: &str, name: &str, value: &str) {
    if !value.is_empty() {
        out.push_str(&format!("{indent}<{name}>{}</{name}>\n", escape(value)));
    }
}

impl CapAlert {
    /// Returns the alert as CAP 1.2 XML.
    pub fn to_xml(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<alert xmlns=\"{NAMESPACE}\">\n"));
        element(&mut out, "  ", "identifier", &self.identifier);
        element(&mut out, "  ", "sender", &self.sender);
        element(&mut out, "  ", "sent", &cap_time(self.sent));
        element(&mut out, "  ", "status", &self.status);
        element(&mut out, "  ", "msgType", &self.msg_type);
        element(&mut out, "  ", "scope", &self.scope);
        element(&mut out, "  ", "restriction", &self.restriction);
        element(&mut out, "  ", "addresses", &self.addresses);
        element(&mut out, "  ", "note", &self.note);
        element(&mut out, "  ", "references", &self.references.join(" "));
        for info in &self.info {
            out.push_str("  <info>\n");
            element(&mut out, "    ", "language", &info.language);
            for category in &info.categories {
                element(&mut out, "    ", "category", category);
            }
            element(&mut out, "    ", "event", &info.event);
            element(&mut out, "    ", "urgency", &info.urgency);
            element(&mut out, "    ", "severity", &info.severity);
            element(&mut out, "    ", "certainty", &info.certainty);
            element(&mut out, "    ", "senderName", &info.sender_name);
            element(&mut out, "    ", "headline", &info.headline);
            element(&mut out, "    ", "description", &info.description);
            element(&mut out, "    ", "instruction", &info.instruction);
            if let Some(expires) = info.expires {
                element(&mut out, "    ", "expires", &cap_time(expires));
            }
            for area in &info.areas {
                out.push_str("    <area>\n");
                element(&mut out, "      ", "areaDesc", &area.area_desc);
                for circle in &area.circles {
                    element(&mut out, "      ", "circle", circle);
                }
                out.push_str("    </area>\n");
            }
            out.push_str("  </info>\n");
        }
        out.push_str("</alert>\n");
        out
    }

    /// Returns the sender and identifier of the first message this one
    /// refers to (`sender,identifier,sent`).
    pub fn referred(&self) -> Option<(&str, &str)> {
        let mut parts = self.references.first()?.splitn(3, ',');
        Some((parts.next()?, parts.next()?))
    }

    /// Returns the `sender,identifier,sent` that refers to this alert.
    pub fn reference(&self) -> String {
        format!(
            "{},{},{}",
            self.sender,
            self.identifier,
            cap_time(self.sent)
        )
    }

    /// Checks the alert against CAP 1.2 and this profile.
    ///
    /// # Errors
    /// The first element that breaks a rule.
    pub fn validate(&self) -> Result<(), CapError> {
        for (name, value) in [("identifier", &self.identifier), ("sender", &self.sender)] {
            if value.trim().is_empty() {
                return Err(wrong(name, "is required"));
            }
            if value.contains([' ', ',', '<', '&']) {
                return Err(wrong(name, "must not contain spaces, commas, < or &"));
            }
        }
        one_of("status", &self.status, &STATUSES)?;
        one_of("msgType", &self.msg_type, &MSG_TYPES)?;
        one_of("scope", &self.scope, &SCOPES)?;
        if self.scope == "Restricted" && self.restriction.trim().is_empty() {
            return Err(wrong(
                "restriction",
                "is required when the scope is Restricted",
            ));
        }
        if self.scope == "Private" && self.addresses.trim().is_empty() {
            return Err(wrong("addresses", "is required when the scope is Private"));
        }
        if matches!(
            self.msg_type.as_str(),
            "Update" | "Cancel" | "Ack" | "Error"
        ) && self.references.is_empty()
        {
            return Err(wrong(
                "references",
                "is required for an Update, Cancel, Ack or Error",
            ));
        }
        if self.msg_type != "Ack" && self.info.is_empty() {
            return Err(wrong("info", "at least one is required"));
        }
        for info in &self.info {
            info.validate()?;
        }
        Ok(())
    }

    /// Reads and checks a CAP 1.2 message.
    ///
    /// # Errors
    /// Not XML, not a CAP 1.2 alert, or an element missing or wrong: named.
    pub fn parse(xml: &str) -> Result<Self, CapError> {
        let doc = roxmltree::Document::parse(xml)
            .map_err(|err| wrong("alert", format!("not XML: {err}")))?;
        let root = doc.root_element();
        if root.tag_name().name() != "alert" || root.tag_name().namespace() != Some(NAMESPACE) {
            return Err(wrong(
                "alert",
                format!("the root must be alert in {NAMESPACE}"),
            ));
        }
        let alert = CapAlert {
            identifier: required(root, "identifier")?,
            sender: required(root, "sender")?,
            sent: time(root, "sent")?.ok_or_else(|| wrong("sent", "is required"))?,
            status: required(root, "status")?,
            msg_type: required(root, "msgType")?,
            scope: required(root, "scope")?,
            restriction: optional(root, "restriction"),
            addresses: optional(root, "addresses"),
            note: optional(root, "note"),
            references: optional(root, "references")
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            info: children(root, "info")
                .map(CapInfo::read)
                .collect::<Result<_, _>>()?,
        };
        alert.validate()?;
        Ok(alert)
    }
}

impl CapInfo {
    fn validate(&self) -> Result<(), CapError> {
        if self.categories.is_empty() {
            return Err(wrong("category", "at least one is required in each info"));
        }
        for category in &self.categories {
            one_of("category", category, &CATEGORIES)?;
        }
        if self.event.trim().is_empty() {
            return Err(wrong("event", "is required"));
        }
        one_of("urgency", &self.urgency, &URGENCIES)?;
        one_of("severity", &self.severity, &SEVERITIES)?;
        one_of("certainty", &self.certainty, &CERTAINTIES)?;
        if self.areas.is_empty() {
            return Err(wrong("area", "at least one is required in each info"));
        }
        for area in &self.areas {
            if area.area_desc.trim().is_empty() {
                return Err(wrong("areaDesc", "is required in each area"));
            }
            for circle in &area.circles {
                if !valid_circle(circle) {
                    return Err(wrong(
                        "circle",
                        format!("{circle:?} is not \"lat,lon radius\""),
                    ));
                }
            }
        }
        Ok(())
    }

    fn read(node: roxmltree::Node<'_, '_>) -> Result<Self, CapError> {
        Ok(CapInfo {
            language: optional(node, "language"),
            categories: children(node, "category").map(text).collect(),
            event: optional(node, "event"),
            urgency: required(node, "urgency")?,
            severity: required(node, "severity")?,
            certainty: required(node, "certainty")?,
            sender_name: optional(node, "senderName"),
            headline: optional(node, "headline"),
            description: optional(node, "description"),
            instruction: optional(node, "instruction"),
            expires: time(node, "expires")?,
            areas: children(node, "area")
                .map(|area| CapArea {
                    area_desc: optional(area, "areaDesc"),
                    circles: children(area, "circle").map(text).collect(),
                })
                .collect(),
        })
    }
}

fn one_of(element: &str, value: &str, allowed: &[&str]) -> Result<(), CapError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(wrong(
            element,
            format!("{value:?} is not one of {}", allowed.join(", ")),
        ))
    }
}

fn valid_circle(circle: &str) -> bool {
    let Some((point, radius)) = circle.trim().split_once(' ') else {
        return false;
    };
    let Some((lat, lon)) = point.split_once(',') else {
        return false;
    };
    let number = |s: &str, limit: f64| s.trim().parse::<f64>().is_ok_and(|v| v.abs() <= limit);
    number(lat, 90.0) && number(lon, 180.0) && number(radius, f64::MAX)
}

fn children<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(NAMESPACE)
    })
}

fn text(node: roxmltree::Node<'_, '_>) -> String {
    node.text().unwrap_or_default().trim().to_owned()
}

fn optional(node: roxmltree::Node<'_, '_>, name: &'static str) -> String {
    children(node, name).next().map(text).unwrap_or_default()
}

fn required(node: roxmltree::Node<'_, '_>, name: &'static str) -> Result<String, CapError> {
    let value = optional(node, name);
    if value.is_empty() {
        Err(wrong(name, "is required"))
    } else {
        Ok(value)
    }
}

fn time(
    node: roxmltree::Node<'_, '_>,
    name: &'static str,
) -> Result<Option<DateTime<FixedOffset>>, CapError> {
    let value = optional(node, name);
    if value.is_empty() {
        return Ok(None);
    }
    if value.ends_with(['Z', 'z']) {
        return Err(wrong(name, "must carry a numeric offset, never Z"));
    }
    DateTime::parse_from_rfc3339(&value)
        .map(Some)
        .map_err(|_| wrong(name, format!("{value:?} is not a CAP date-time")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> CapAlert {
        CapAlert {
            identifier: "0190f1a2-0000-7000-8000-000000000001".into(),
            sender: "shanghai/jinshan/langxia/case-exchange".into(),
            sent: DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap(),
            status: "Exercise".into(),
            msg_type: "Alert".into(),
            scope: "Restricted".into(),
            restriction: "毗邻协作成员 & 平安商户联盟".into(),
            addresses: String::new(),
            references: Vec::new(),
            note: String::new(),
            info: vec![CapInfo {
                language: "zh-CN".into(),
                categories: vec!["Safety".into(), "Fire".into()],
                event: "山塘老街商铺火情".into(),
                urgency: "Immediate".into(),
                severity: "Severe".into(),
                certainty: "Observed".into(),
                sender_name: "廊下镇城运中心".into(),
                headline: "山塘老街东段起火 <请避让>".into(),
                description: "请沿街商户立即疏散。".into(),
                instruction: "关闭燃气，沿河撤离。".into(),
                expires: Some(DateTime::parse_from_rfc3339("2026-03-02T12:00:00+08:00").unwrap()),
                areas: vec![CapArea {
                    area_desc: "山塘老街（廊下、广陈两侧）".into(),
                    circles: vec!["30.8120,121.1630 0.5".into()],
                }],
            }],
        }
    }

    #[test]
    fn an_alert_written_as_cap_xml_reads_back_the_same() {
        let xml = alert().to_xml();
        assert!(xml.contains("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"));
        assert!(xml.contains("<sent>2026-03-02T09:00:00+08:00</sent>"));
        assert!(xml.contains("&lt;请避让&gt;"), "text is escaped");
        assert_eq!(CapAlert::parse(&xml), Ok(alert()));
    }

    #[test]
    fn a_malformed_alert_is_refused_naming_the_element() {
        let xml = alert().to_xml();
        let cases = [
            (
                "<urgency>Immediate</urgency>",
                "<urgency>Soon</urgency>",
                "urgency",
            ),
            (
                "<sent>2026-03-02T09:00:00+08:00</sent>",
                "<sent>2026-03-02T01:00:00Z</sent>",
                "sent",
            ),
            (
                "<sent>2026-03-02T09:00:00+08:00</sent>",
                "<sent>yesterday</sent>",
                "sent",
            ),
            ("<event>山塘老街商铺火情</event>", "", "event"),
            (
                "<category>Safety</category>",
                "<category>Danger</category>",
                "category",
            ),
            (
                "<identifier>0190f1a2-0000-7000-8000-000000000001</identifier>",
                "",
                "identifier",
            ),
            (
                "<scope>Restricted</scope>",
                "<scope>Private</scope>",
                "addresses",
            ),
            (
                "<msgType>Alert</msgType>",
                "<msgType>Ack</msgType>",
                "references",
            ),
            ("<certainty>Observed</certainty>", "", "certainty"),
        ];
        for (from, to, element) in cases {
            let broken = xml.replace(from, to);
            let err = CapAlert::parse(&broken).unwrap_err();
            assert_eq!(err.element, element, "{from} → {to}: {err}");
        }
        let area = xml.split("    <area>").next().unwrap().to_owned() + "  </info>\n</alert>\n";
        assert_eq!(CapAlert::parse(&area).unwrap_err().element, "area");
        let other = xml.replace(NAMESPACE, "urn:oasis:names:tc:emergency:cap:1.1");
        assert_eq!(CapAlert::parse(&other).unwrap_err().element, "alert");
        assert_eq!(CapAlert::parse("not xml").unwrap_err().element, "alert");
    }

    #[test]
    fn an_ack_refers_to_the_alert_it_acknowledges() {
        let ack = CapAlert {
            identifier: "ack-1".into(),
            msg_type: "Ack".into(),
            references: vec![alert().reference()],
            note: "desk-op".into(),
            info: Vec::new(),
            ..alert()
        };
        assert_eq!(
            ack.references[0],
            "shanghai/jinshan/langxia/case-exchange,0190f1a2-0000-7000-8000-000000000001,2026-03-02T09:00:00+08:00"
        );
        assert_eq!(
            ack.referred(),
            Some((
                "shanghai/jinshan/langxia/case-exchange",
                "0190f1a2-0000-7000-8000-000000000001"
            ))
        );
        assert_eq!(CapAlert::parse(&ack.to_xml()), Ok(ack));
    }
}
