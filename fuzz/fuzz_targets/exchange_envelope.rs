//! A neighbour's Deliver request on the peer port: the envelope read from
//! the wire, its canonical bytes hashed and its signatures checked, and its
//! payload (reports, updates, checks, risks, CAP alerts) decoded.
#![no_main]

use case_exchange::convert;
use case_exchange::domain::envelope::Attempt;
use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use proto::exchange::v1 as pb;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = pb::DeliverRequest::decode(data) else {
        return;
    };
    let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
    let _ = convert::decode_payload(&request.envelope.clone().unwrap_or_default().payload);
    let Ok(envelope) = convert::envelope_of(request.envelope.unwrap_or_default()) else {
        return;
    };
    let _ = envelope.verify(&key);
    if let Some(attempted_at) = request
        .attempted_at
        .as_ref()
        .and_then(platform::time::from_timestamp)
    {
        let attempt = Attempt {
            envelope_hash: envelope.hash(),
            attempted_at,
            signature: request.attempt_signature,
        };
        let _ = attempt.verify(&envelope, &key);
    }
    let wire = convert::envelope_bytes(&envelope);
    let again = convert::envelope_from_bytes(&wire).expect("a written envelope decodes");
    let again = convert::envelope_of(again).expect("a written envelope reads back");
    assert_eq!(
        again.hash(),
        envelope.hash(),
        "the hash survives a round trip"
    );
});
