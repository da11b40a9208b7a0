//! MANSCDP bodies (GB/T 28181 Annex A): the XML of keepalives, catalogue
//! answers and alarm notifications, in GB2312/GB18030 as most devices send
//! them or UTF-8, read into domain values; and the queries and answers the
//! platform sends.

use encoding_rs::GB18030;

use crate::domain::alarm::AlarmReport;
use crate::domain::camera::LatLng;
use crate::domain::catalog::{CatalogItem, CatalogPacket};

/// What a body says.
#[derive(Debug, Clone, PartialEq)]
pub enum Manscdp {
    Keepalive {
        sn: u64,
        device_id: String,
        status: String,
    },
    Catalog {
        device_id: String,
        packet: CatalogPacket,
    },
    Alarm {
        device_id: String,
        report: AlarmReport,
    },
    /// A command the gateway does not act on (answered 200 all the same).
    Other { root: String, cmd_type: String },
}

/// Returns the encoding the XML declaration names, lowercased.
fn declared_encoding(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(200)];
    let head = String::from_utf8_lossy(head);
    let decl = head.split("?>").next()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next()?;
    // The quote may be any character a device sends, not only ASCII.
    let value = rest[quote.len_utf8()..].split(quote).next()?;
    Some(value.to_ascii_lowercase())
}

/// Returns the body as text: GB2312, GBK and GB18030 through GB18030 (a
/// superset of both); UTF-8 otherwise, falling back to GB18030 when the
/// bytes are not UTF-8 (devices that declare nothing, or the wrong thing).
pub fn decode_text(body: &[u8]) -> String {
    let gb = matches!(
        declared_encoding(body).as_deref(),
        Some("gb2312" | "gbk" | "gb18030")
    );
    if !gb && let Ok(text) = std::str::from_utf8(body) {
        return text.to_owned();
    }
    let (text, _, _) = GB18030.decode(body);
    text.into_owned()
}

/// Returns `text` encoded in GB18030 (as declared in what the platform
/// sends).
pub fn encode_text(text: &str) -> Vec<u8> {
    let (bytes, _, _) = GB18030.encode(text);
    bytes.into_owned()
}

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(name))
        .and_then(|c| c.text())
        .map(str::trim)
}

fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> String {
    child_text(node, name).unwrap_or_default().to_owned()
}

fn location(node: roxmltree::Node<'_, '_>) -> Option<LatLng> {
    let lng = child_text(node, "Longitude")?.parse().ok()?;
    let lat = child_text(node, "Latitude")?.parse().ok()?;
    Some(LatLng { lat, lng }).filter(|l| l.is_known())
}

fn sn_of(root: roxmltree::Node<'_, '_>) -> Result<u64, String> {
    let sn = child_text(root, "SN").ok_or("SN is missing")?;
    sn.parse().map_err(|_| format!("SN {sn:?} is not a number"))
}

/// Parses a MANSCDP body.
///
/// # Errors
/// Not XML, or without the CmdType, SN or DeviceID a command needs.
pub fn parse(body: &[u8]) -> Result<Manscdp, String> {
    let text = decode_text(body);
    // The declaration may name an encoding the XML reader does not take
    // (the text is decoded already): read from the root element on.
    let xml = match text.find("?>") {
        Some(i) if text.trim_start().starts_with("<?xml") => &text[i + 2..],
        _ => text.as_str(),
    };
    let doc = roxmltree::Document::parse(xml.trim()).map_err(|e| format!("not XML: {e}"))?;
    let root = doc.root_element();
    let root_name = root.tag_name().name().to_owned();
    let cmd_type = child_text(root, "CmdType")
        .ok_or("CmdType is missing")?
        .to_owned();
    let device_id = text_of(root, "DeviceID");
    match (root_name.as_str(), cmd_type.as_str()) {
        ("Notify", "Keepalive") => Ok(Manscdp::Keepalive {
            sn: sn_of(root)?,
            device_id: non_empty(device_id)?,
            status: text_of(root, "Status"),
        }),
        ("Response", "Catalog") => {
            let sn = sn_of(root)?;
            let sum = child_text(root, "SumNum").ok_or("SumNum is missing")?;
            let sum_num = sum
                .parse()
                .map_err(|_| format!("SumNum {sum:?} is not a number"))?;
            let items = root
                .children()
                .find(|c| c.is_element() && c.tag_name().name() == "DeviceList")
                .map(|list| {
                    list.children()
                        .filter(|c| c.is_element() && c.tag_name().name() == "Item")
                        .map(|item| CatalogItem {
                            id: text_of(item, "DeviceID"),
                            name: text_of(item, "Name"),
                            manufacturer: text_of(item, "Manufacturer"),
                            model: text_of(item, "Model"),
                            status: text_of(item, "Status").to_ascii_uppercase(),
                            location: location(item),
                        })
                        .filter(|item| !item.id.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            Ok(Manscdp::Catalog {
                device_id: non_empty(device_id)?,
                packet: CatalogPacket { sn, sum_num, items },
            })
        }
        ("Notify", "Alarm") => {
            let info_type = root
                .children()
                .find(|c| c.is_element() && c.tag_name().name() == "Info")
                .and_then(|info| child_text(info, "AlarmType"));
            Ok(Manscdp::Alarm {
                device_id: device_id.clone(),
                report: AlarmReport {
                    source_id: device_id,
                    sn: sn_of(root)?,
                    priority: text_of(root, "AlarmPriority"),
                    method: text_of(root, "AlarmMethod"),
                    alarm_type: info_type
                        .or_else(|| child_text(root, "AlarmType"))
                        .unwrap_or_default()
                        .to_owned(),
                    time: child_text(root, "AlarmTime").map(str::to_owned),
                    description: text_of(root, "AlarmDescription"),
                    location: location(root),
                },
            })
        }
        _ => Ok(Manscdp::Other {
            root: root_name,
            cmd_type,
        }),
    }
}

fn non_empty(device_id: String) -> Result<String, String> {
    if device_id.is_empty() {
        Err("DeviceID is missing".into())
    } else {
        Ok(device_id)
    }
}

/// Returns the Catalog query `sn` for `device_id`.
pub fn catalog_query(sn: u64, device_id: &str) -> Vec<u8> {
    encode_text(&format!(
        "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n\
         <SN>{sn}</SN>\r\n<DeviceID>{device_id}</DeviceID>\r\n</Query>\r\n"
    ))
}

/// Returns the answer to alarm notification `sn` of `device_id`.
pub fn alarm_answer(sn: u64, device_id: &str) -> Vec<u8> {
    encode_text(&format!(
        "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Response>\r\n<CmdType>Alarm</CmdType>\r\n\
         <SN>{sn}</SN>\r\n<DeviceID>{device_id}</DeviceID>\r\n<Result>OK</Result>\r\n</Response>\r\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gb2312_catalogue_reads_its_chinese_names() {
        let xml = "<?xml version=\"1.0\" encoding=\"GB2312\"?>\n<Response><CmdType>Catalog</CmdType>\
            <SN>7</SN><DeviceID>31011611001180000001</DeviceID><SumNum>3</SumNum>\
            <DeviceList Num=\"1\"><Item><DeviceID>31011611001310000001</DeviceID>\
            <Name>中华村口</Name><Status>on</Status><Longitude>121.02</Longitude>\
            <Latitude>30.01</Latitude></Item></DeviceList></Response>";
        let Manscdp::Catalog { device_id, packet } = parse(&encode_text(xml)).unwrap() else {
            panic!("a catalogue")
        };
        assert_eq!(device_id, "31011611001180000001");
        assert_eq!((packet.sn, packet.sum_num), (7, 3));
        assert_eq!(packet.items[0].name, "中华村口");
        assert_eq!(packet.items[0].status, "ON");
        assert_eq!(
            packet.items[0].location,
            Some(LatLng {
                lat: 30.01,
                lng: 121.02
            })
        );
    }

    #[test]
    fn an_undeclared_gb18030_body_is_still_read() {
        let xml = "<Notify><CmdType>Alarm</CmdType><SN>3</SN><DeviceID>31011611001340000001</DeviceID>\
            <AlarmPriority>1</AlarmPriority><AlarmMethod>5</AlarmMethod>\
            <AlarmDescription>火情</AlarmDescription></Notify>";
        let Manscdp::Alarm { report, .. } = parse(&encode_text(xml)).unwrap() else {
            panic!("an alarm")
        };
        assert_eq!(report.description, "火情");
        assert_eq!(report.time, None, "a missing AlarmTime stays missing");
    }

    #[test]
    fn declared_encoding_quoted_by_a_character_past_ascii_is_read_without_a_panic() {
        let body =
            "<?xml version=\"1.0\" encoding=é?>\n<Notify><CmdType>Keepalive</CmdType></Notify>";
        assert_eq!(declared_encoding(body.as_bytes()), Some(String::new()));
        assert_eq!(parse(body.as_bytes()), Err("SN is missing".to_owned()));
    }

    #[test]
    fn a_keepalive_without_device_id_is_refused() {
        let xml = b"<Notify><CmdType>Keepalive</CmdType><SN>1</SN><Status>OK</Status></Notify>";
        assert_eq!(parse(xml), Err("DeviceID is missing".to_owned()));
        assert!(parse(b"not xml").is_err());
    }

    #[test]
    fn the_catalog_query_names_its_sn_and_device() {
        let text = String::from_utf8(catalog_query(9, "31011611001180000001")).unwrap();
        assert!(text.contains("<SN>9</SN>") && text.contains("<CmdType>Catalog</CmdType>"));
    }
}
