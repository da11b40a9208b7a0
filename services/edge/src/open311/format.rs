//! GeoReport's two formats. Every answer is built once as JSON; XML is
//! written from it: an object is an element with a child per key, a list
//! under key `attributes` is `<attributes><attribute>…</attribute>…`, a
//! top-level list is the resource's root with its items (`<services>` of
//! `<service>`), and a null is left out.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::Value;

/// The format a request asks for by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// Splits `services.json` into `("services", Json)`.
///
/// # Errors
/// A 404 for a file of another extension (render it as JSON: the caller
/// named no format).
pub fn split(file: &str) -> Result<(&str, Format), Open311Error> {
    if let Some(name) = file.strip_suffix(".json") {
        Ok((name, Format::Json))
    } else if let Some(name) = file.strip_suffix(".xml") {
        Ok((name, Format::Xml))
    } else {
        Err(Open311Error::new(
            404,
            format!("{file}: ask for .json or .xml"),
        ))
    }
}

/// The element name of an item of the list named `list`.
fn item_of(list: &str) -> &str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        "errors" => "error",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

/// Returns `value` as GeoReport XML under `root`.
pub fn to_xml(root: &str, value: &Value) -> String {
    let mut writer = Writer::new(Vec::new());
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
        .expect("writing to memory cannot fail");
    match value {
        Value::Array(items) => element(&mut writer, root, &Value::Array(items.clone())),
        other => element(&mut writer, root, other),
    }
    String::from_utf8(writer.into_inner()).expect("the writer writes UTF-8")
}

fn element(writer: &mut Writer<Vec<u8>>, name: &str, value: &Value) {
    let write = |writer: &mut Writer<Vec<u8>>, event: Event<'_>| {
        writer
            .write_event(event)
            .expect("writing to memory cannot fail");
    };
    match value {
        Value::Null => {}
        Value::Array(items) => {
            write(writer, Event::Start(BytesStart::new(name)));
            for item in items {
                element(writer, item_of(name), item);
            }
            write(writer, Event::End(BytesEnd::new(name)));
        }
        Value::Object(map) => {
            write(writer, Event::Start(BytesStart::new(name)));
            for (key, child) in map {
                element(writer, key, child);
            }
            write(writer, Event::End(BytesEnd::new(name)));
        }
        Value::String(text) => {
            write(writer, Event::Start(BytesStart::new(name)));
            write(writer, Event::Text(BytesText::new(text)));
            write(writer, Event::End(BytesEnd::new(name)));
        }
        other => {
            let text = other.to_string();
            write(writer, Event::Start(BytesStart::new(name)));
            write(writer, Event::Text(BytesText::new(&text)));
            write(writer, Event::End(BytesEnd::new(name)));
        }
    }
}

/// Returns `value` in `format`, with `status`, XML under `root`.
pub fn render(status: StatusCode, format: Format, root: &str, value: &Value) -> Response {
    match format {
        Format::Json => (status, axum::Json(value)).into_response(),
        Format::Xml => {
            let mut response = (status, to_xml(root, value)).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            response
        }
    }
}

/// A GeoReport error: its HTTP status and descriptions.
#[derive(Debug)]
pub struct Open311Error {
    pub status: u16,
    pub descriptions: Vec<String>,
}

impl Open311Error {
    /// Returns an error of one description.
    pub fn new(status: u16, description: impl Into<String>) -> Self {
        Self {
            status,
            descriptions: vec![description.into()],
        }
    }

    /// Returns a 400 naming `field`.
    pub fn field(field: &str, rule: impl std::fmt::Display) -> Self {
        Self::new(400, format!("{field}: {rule}"))
    }

    /// Returns a 404.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(404, what)
    }

    /// Returns the error in `format`.
    pub fn render(self, format: Format) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let errors: Vec<Value> = self
            .descriptions
            .iter()
            .map(|d| serde_json::json!({"code": self.status, "description": d}))
            .collect();
        render(status, format, "errors", &Value::Array(errors))
    }
}

impl From<tonic::Status> for Open311Error {
    /// Maps dispatch's answer; field violations are carried through under
    /// GeoReport's names.
    fn from(status: tonic::Status) -> Self {
        let api = crate::error::ApiError::from(status);
        if api.fields.is_empty() {
            return Self::new(api.status.as_u16(), api.message);
        }
        Self {
            status: 400,
            descriptions: api
                .fields
                .iter()
                .map(|v| format!("{}: {}", open311_field(&v.field), v.rule))
                .collect(),
        }
    }
}

/// Returns the GeoReport name of a dispatch request field.
fn open311_field(field: &str) -> &str {
    match field {
        "category_code" => "service_code",
        "location" => "lat",
        "reporter_phone" => "phone",
        "title" | "description" => "description",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_become_elements_of_their_items_and_nulls_are_left_out() {
        let value = serde_json::json!([
            {"service_code": "SANITATION", "metadata": true, "group": null,
             "attributes": [{"code": "difficult", "values": [{"key": "true"}]}]}
        ]);
        let xml = to_xml("services", &value);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let service = doc.root_element().first_element_child().unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "services");
        assert_eq!(service.tag_name().name(), "service");
        let text = |name: &str| {
            service
                .descendants()
                .find(|n| n.has_tag_name(name))
                .and_then(|n| n.text())
        };
        assert_eq!(text("service_code"), Some("SANITATION"));
        assert_eq!(text("metadata"), Some("true"));
        assert_eq!(text("key"), Some("true"));
        assert!(service.children().all(|n| !n.has_tag_name("group")));
    }

    #[test]
    fn text_is_escaped() {
        let xml = to_xml("errors", &serde_json::json!([{"description": "a <b> & c"}]));
        assert!(xml.contains("a &lt;b&gt; &amp; c"), "{xml}");
    }
}
