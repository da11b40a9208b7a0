//! SIP messages as a camera or NVR sends them to the GB/T 28181 gateway:
//! framed out of a TCP stream, parsed from a datagram, every header the
//! gateway reads, and written back (what is written parses again).
#![no_main]

use libfuzzer_sys::fuzz_target;
use video_ingest::gateway::message::{SipMessage, param, uri_user};

/// The gateway's largest message over TCP.
const MAX: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(n)) = SipMessage::frame(data, MAX) {
        assert!(n <= data.len(), "a frame ends inside the buffer");
    }
    let Ok(message) = SipMessage::parse(data) else {
        return;
    };
    let _ = message.method();
    let _ = message.call_id();
    let _ = message.cseq();
    let _ = message.from_user();
    let _ = message.expires();
    let _ = message.digest_answer();
    for name in ["To", "Contact", "Via"] {
        if let Some(value) = message.header(name) {
            let _ = uri_user(value);
            let _ = param(value, "tag");
        }
    }
    let mut answer = message.respond(200, "OK", "fuzz");
    answer.stamp_via("127.0.0.1:5060".parse().expect("a socket address"));
    let written = message.to_bytes();
    let again = SipMessage::parse(&written).expect("what the gateway writes parses");
    assert_eq!(again.body, message.body, "the body survives a round trip");
});
