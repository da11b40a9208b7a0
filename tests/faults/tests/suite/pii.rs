//! The personal-data sweep: after the faults, every outbox payload of the
//! services (and of the peer node), every message in their streams and every line the
//! services logged are searched for mainland mobile numbers (1[3-9] and
//! nine digits, alone), resident ID numbers (18 characters with a valid
//! GB 11643 check character), number plates (a province's character, a
//! letter and five or six letters or digits) and the names of the
//! special-care people of the Langxia data set. Masked values
//! (`138****5678`) are not found. Any hit fails the suite. The same pass
//! counts the events the outboxes marked published that no stream holds
//! (lost on the bus) and those a stream holds twice.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use async_nats::jetstream;
use futures::StreamExt as _;

use crate::town::{PEER_DATABASE, STREAMS, Town};

/// The characters a plate of a mainland province starts with.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// What the sweep found, in one place.
#[derive(Debug, Default)]
pub struct Sweep {
    /// Places searched: outbox rows, stream messages, log lines.
    pub searched: [usize; 3],
    /// Where, what kind, and the hit (cut short).
    pub hits: Vec<String>,
    /// Events the outboxes marked published that no stream holds.
    pub missing_on_bus: usize,
    /// Messages a stream holds twice under one event id (re-sent after
    /// the duplicate window; the consumers' inboxes absorb them).
    pub twice_on_bus: usize,
}

/// Returns the kinds of personal data in `text`: each maximal run of
/// digits (with an ID number's closing X) is a phone when it is 11 digits
/// 1[3-9]…, an ID number when it is 18 characters with a valid check
/// character; a plate is a province's character followed by a letter and
/// five or six more letters or digits; a name is one of `names`.
pub fn personal_data(text: &str, names: &[String]) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let before = start.checked_sub(1).map(|b| chars[b]);
        let letter_before = before.is_some_and(|c| c.is_ascii_alphanumeric());
        let next = chars.get(i).copied();
        if run.len() == 11
            && run.starts_with('1')
            && matches!(run.as_bytes()[1], b'3'..=b'9')
            && !letter_before
            && !next.is_some_and(|c| c.is_ascii_alphanumeric())
        {
            found.push(("phone", run.clone()));
        }
        // An ID number stands alone: a run of digits inside a longer run of
        // letters and digits is part of something else (a trace id's hex).
        let (id, after) = match (run.len(), next) {
            (17, Some('X' | 'x')) => (Some(format!("{run}X")), chars.get(i + 1).copied()),
            (18, _) => (Some(run.clone()), next),
            _ => (None, None),
        };
        if let Some(id) = id
            && !letter_before
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
            && langxia::id_check_char(&id[..17])
                == id.chars().nth(17).map(|c| c.to_ascii_uppercase())
        {
            found.push(("ID number", id));
        }
    }
    for (i, c) in chars.iter().enumerate() {
        if !PROVINCES.contains(*c) {
            continue;
        }
        let rest: Vec<char> = chars[i + 1..].iter().take(8).copied().collect();
        let body = rest
            .iter()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            .count();
        if rest.first().is_some_and(char::is_ascii_uppercase) && (6..=7).contains(&body) {
            let plate: String = std::iter::once(*c)
                .chain(rest[..body].iter().copied())
                .collect();
            found.push(("plate", plate));
        }
    }
    for name in names {
        if text.contains(name.as_str()) {
            found.push(("special-care name", name.clone()));
        }
    }
    found
}

/// Records the hits of `text`, found at `place`.
fn search(sweep: &mut Sweep, place: &str, text: &str, names: &[String]) {
    for (kind, hit) in personal_data(text, names) {
        if sweep.hits.len() < 50 {
            sweep.hits.push(format!("{place}: {kind} {hit}"));
        }
    }
}

/// Sweeps the town's outboxes, streams and the logs under `logs`.
pub async fn sweep(town: &Town, logs: &Path) -> Sweep {
    let names: Vec<String> = langxia::generate()
        .care_people
        .into_iter()
        .map(|p| p.name)
        .collect();
    let mut sweep = Sweep::default();
    let mut published: HashSet<String> = HashSet::new();
    for (db, pool) in town.databases() {
        let rows: Vec<(String, Vec<u8>, serde_json::Value, String, bool)> = sqlx::query_as(
            "SELECT subject, payload, headers, event_id::text, published_at IS NOT NULL FROM outbox",
        )
        .fetch_all(pool)
        .await
        .expect("the outbox is read");
        for (subject, payload, headers, event_id, sent) in rows {
            sweep.searched[0] += 1;
            if sent && db != PEER_DATABASE {
                published.insert(event_id);
            }
            let text = format!("{} {headers}", String::from_utf8_lossy(&payload));
            search(&mut sweep, &format!("{db} outbox {subject}"), &text, &names);
        }
    }
    let client = async_nats::connect(town.nats.url())
        .await
        .expect("NATS answers");
    let js = jetstream::new(client);
    let mut on_bus: HashMap<String, usize> = HashMap::new();
    for name in STREAMS {
        let name = format!("{}_{name}", town.prefix);
        let stream = js.get_stream(&name).await.expect("the stream is there");
        let total = stream.cached_info().state.messages;
        if total == 0 {
            continue;
        }
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
            .await
            .expect("an ordered consumer");
        let mut messages = consumer.messages().await.expect("the messages");
        let mut read = 0;
        while read < total {
            let Some(Ok(message)) = messages.next().await else {
                break;
            };
            read += 1;
            sweep.searched[1] += 1;
            if let Some(id) = message.headers.as_ref().and_then(|h| h.get("Nats-Msg-Id")) {
                *on_bus.entry(id.as_str().to_owned()).or_default() += 1;
            }
            let headers = message
                .headers
                .as_ref()
                .map(|h| format!("{h:?}"))
                .unwrap_or_default();
            let text = format!("{} {headers}", String::from_utf8_lossy(&message.payload));
            search(
                &mut sweep,
                &format!("stream {}", message.subject),
                &text,
                &names,
            );
        }
    }
    sweep.missing_on_bus = published
        .iter()
        .filter(|id| !on_bus.contains_key(*id))
        .count();
    sweep.twice_on_bus = on_bus.values().map(|n| n - 1).sum();
    if let Ok(dir) = std::fs::read_dir(logs) {
        for entry in dir.filter_map(Result::ok) {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let file = entry.file_name().to_string_lossy().into_owned();
            for line in text.lines() {
                sweep.searched[2] += 1;
                search(&mut sweep, &format!("log {file}"), line, &names);
            }
        }
    }
    sweep
}

#[test]
fn the_sweep_finds_phones_id_numbers_plates_and_names_but_not_masked_ones() {
    let names = vec!["王秀英".to_owned()];
    let kinds = |text: &str| -> Vec<&'static str> {
        personal_data(text, &names)
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(kinds("回访 13812345678。"), ["phone"]);
    assert_eq!(kinds("138****5678, 12345-2026-0000417"), Vec::<&str>::new());
    assert_eq!(kinds("0190a1b2c3d4e5f6 t13812345678x"), Vec::<&str>::new());
    assert_eq!(kinds("身份证 11010519491231002X"), ["ID number"]);
    assert_eq!(kinds("身份证号11010519491231002X。"), ["ID number"]);
    assert_eq!(
        kinds("traceparent: 00-746723756295505488c3a1f09e2b4d7a-0123456789abcdef-01"),
        Vec::<&str>::new(),
        "digits at the head of a trace id, with a valid check character"
    );
    assert_eq!(
        kinds("身份证 110105194912310021"),
        Vec::<&str>::new(),
        "bad check"
    );
    assert_eq!(kinds("车牌 沪A12345 驶入"), ["plate"]);
    assert_eq!(kinds("浙江省 上海市"), Vec::<&str>::new());
    assert_eq!(kinds("走访王秀英家"), ["special-care name"]);
    assert_eq!(kinds("走访王**家"), Vec::<&str>::new());
}
