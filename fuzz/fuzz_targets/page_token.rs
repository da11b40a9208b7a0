//! Page tokens as callers send them back: the registry's hex keys, points'
//! report cursors, video ingest's device ids, dispatch's ticket ids.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let _ = grid_registry::api::paging::after(token);
    if let Some(cursor) = points::domain::report::Cursor::parse(token) {
        let again = points::domain::report::Cursor::parse(&cursor.to_token());
        assert_eq!(again, Some(cursor), "a cursor's token reads back");
    }
    let _ = video_ingest::domain::gbid::GbId::parse(token.trim());
    let _ = uuid::Uuid::parse_str(token);
});
