//! An Open311 POST requests.{json,xml} body: the form read, then checked
//! into the ticket it asks dispatch for (every broken field named).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(pairs) = edge::open311::read_form(Some("application/x-www-form-urlencoded"), data)
    else {
        return;
    };
    let form = edge::open311::form_fields(&pairs);
    let _ = edge::open311::ticket_request(&form, 0, &pairs);
});
