//! The parser against a golden corpus of wire messages (`tests/corpus/`):
//! each `.sip` file, parsed, is written out as its `.golden` file says;
//! written back and parsed again it is the same message.
//! `WEIGRID_UPDATE_GOLDEN=1` rewrites the golden files.

use std::fmt::Write as _;
use std::path::PathBuf;

use video_ingest::gateway::manscdp;
use video_ingest::gateway::message::{SipMessage, StartLine};

fn dump(bytes: &[u8]) -> String {
    let message = match SipMessage::parse(bytes) {
        Ok(m) => m,
        Err(err) => return format!("error: {err}\n"),
    };
    let mut out = String::new();
    match &message.start {
        StartLine::Request { method, uri } => {
            let _ = writeln!(out, "request {method} {uri}");
        }
        StartLine::Response { code, reason } => {
            let _ = writeln!(out, "response {code} {reason}");
        }
    }
    for (name, value) in &message.headers {
        let _ = writeln!(out, "{name}: {value}");
    }
    let _ = writeln!(out, "call-id: {:?}", message.call_id());
    let _ = writeln!(out, "cseq: {:?}", message.cseq());
    let _ = writeln!(out, "from user: {:?}", message.from_user());
    let _ = writeln!(out, "expires: {:?}", message.expires());
    if let Some(answer) = message.digest_answer() {
        let _ = writeln!(out, "digest: {answer:?}");
    }
    let _ = writeln!(out, "body: {} bytes", message.body.len());
    if !message.body.is_empty() {
        let _ = writeln!(out, "manscdp: {:?}", manscdp::parse(&message.body));
    }
    let again = SipMessage::parse(&message.to_bytes()).expect("a written message parses");
    assert_eq!(
        again, message,
        "a message written and parsed again is the same"
    );
    out
}

#[test]
fn every_message_of_the_corpus_parses_as_its_golden_file_says() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let update = std::env::var("WEIGRID_UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sip"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "the corpus is there");
    for file in files {
        let got = dump(&std::fs::read(&file).unwrap());
        let golden = file.with_extension("golden");
        if update {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("{} has a golden file", file.display()));
        assert_eq!(got, want, "{}", file.display());
    }
}
