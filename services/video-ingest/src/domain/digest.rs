//! SIP Digest authentication (RFC 2617 / RFC 3261 §22) as GB/T 28181
//! devices answer it: MD5, `qop=auth`, the device id as username. Only
//! HA1 = MD5(username:realm:password) is kept; the password is not.

use md5::{Digest as _, Md5};

/// A device's answer to a challenge (the `Authorization: Digest …` header).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestAnswer {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    /// Empty when the device answered without qop (refused: the challenge
    /// asks for `auth`).
    pub qop: String,
    pub nc: String,
    pub cnonce: String,
    /// Empty or `MD5`.
    pub algorithm: String,
}

/// Returns the lowercase hex MD5 of `text`.
fn md5_hex(text: &str) -> String {
    let digest = Md5::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Returns HA1 for `username` in `realm` with `password`.
pub fn ha1(username: &str, realm: &str, password: &str) -> String {
    md5_hex(&format!("{username}:{realm}:{password}"))
}

/// Returns the response a device knowing the password behind `ha1` sends
/// for `method` with `answer`'s nonce, uri, nc and cnonce (qop=auth).
pub fn expected_response(ha1: &str, method: &str, answer: &DigestAnswer) -> String {
    let ha2 = md5_hex(&format!("{method}:{}", answer.uri));
    md5_hex(&format!(
        "{ha1}:{}:{}:{}:auth:{ha2}",
        answer.nonce, answer.nc, answer.cnonce
    ))
}

/// Why an answer is not accepted (the nonce aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DigestRefusal {
    #[error("the answer is not for this realm")]
    WrongRealm,
    #[error("the username is not the device's id")]
    WrongUser,
    #[error("only MD5 with qop=auth is accepted")]
    Unsupported,
    #[error("the response does not match the device's password")]
    WrongPassword,
}

/// Checks `answer` for `method` from device `device_id` in `realm`, whose
/// credential is `ha1`.
///
/// # Errors
/// The realm, the username, the algorithm or the response is wrong.
pub fn verify(
    answer: &DigestAnswer,
    method: &str,
    device_id: &str,
    realm: &str,
    ha1: &str,
) -> Result<(), DigestRefusal> {
    if answer.realm != realm {
        return Err(DigestRefusal::WrongRealm);
    }
    if answer.username != device_id {
        return Err(DigestRefusal::WrongUser);
    }
    let md5 = answer.algorithm.is_empty() || answer.algorithm.eq_ignore_ascii_case("MD5");
    if !md5 || answer.qop != "auth" || answer.nc.is_empty() || answer.cnonce.is_empty() {
        return Err(DigestRefusal::Unsupported);
    }
    let expected = expected_response(ha1, method, answer);
    if constant_time_eq(
        expected.as_bytes(),
        answer.response.to_ascii_lowercase().as_bytes(),
    ) {
        Ok(())
    } else {
        Err(DigestRefusal::WrongPassword)
    }
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_2617_example_gives_its_published_response() {
        // RFC 2617 §3.5: Mufasa, "Circle Of Life", testrealm@host.com.
        let ha1 = ha1("Mufasa", "testrealm@host.com", "Circle Of Life");
        let answer = DigestAnswer {
            username: "Mufasa".into(),
            realm: "testrealm@host.com".into(),
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
            uri: "/dir/index.html".into(),
            response: "6629fae49393a05397450978507c4ef1".into(),
            qop: "auth".into(),
            nc: "00000001".into(),
            cnonce: "0a4f113b".into(),
            algorithm: String::new(),
        };
        assert_eq!(
            expected_response(&ha1, "GET", &answer),
            "6629fae49393a05397450978507c4ef1"
        );
        assert_eq!(
            verify(&answer, "GET", "Mufasa", "testrealm@host.com", &ha1),
            Ok(())
        );
    }

    #[test]
    fn a_wrong_password_realm_or_missing_qop_is_refused() {
        let id = "31011611001320000001";
        let good = ha1(id, "3101160000", "right-password");
        let mut answer = DigestAnswer {
            username: id.into(),
            realm: "3101160000".into(),
            nonce: "abc".into(),
            uri: "sip:31011600002000000001@3101160000".into(),
            qop: "auth".into(),
            nc: "00000001".into(),
            cnonce: "xyz".into(),
            ..Default::default()
        };
        answer.response = expected_response(
            &ha1(id, "3101160000", "wrong-password"),
            "REGISTER",
            &answer,
        );
        assert_eq!(
            verify(&answer, "REGISTER", id, "3101160000", &good),
            Err(DigestRefusal::WrongPassword)
        );
        answer.response = expected_response(&good, "REGISTER", &answer);
        assert_eq!(verify(&answer, "REGISTER", id, "3101160000", &good), Ok(()));
        assert_eq!(
            verify(&answer, "REGISTER", id, "elsewhere", &good),
            Err(DigestRefusal::WrongRealm)
        );
        answer.qop = String::new();
        assert_eq!(
            verify(&answer, "REGISTER", id, "3101160000", &good),
            Err(DigestRefusal::Unsupported)
        );
    }
}
