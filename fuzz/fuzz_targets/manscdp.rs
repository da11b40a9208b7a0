//! MANSCDP bodies (GB/T 28181 Annex A) as devices send them: keepalives,
//! catalogue answers and alarms, in GB18030 or UTF-8.
#![no_main]

use libfuzzer_sys::fuzz_target;
use video_ingest::gateway::manscdp;

fuzz_target!(|data: &[u8]| {
    let _ = manscdp::decode_text(data);
    let _ = manscdp::parse(data);
});
