//! SIP messages on the wire (RFC 3261 §7): the start line, headers (compact
//! forms expanded, folded lines joined) and the body, parsed from a UDP
//! datagram or framed out of a TCP stream by `Content-Length`, and written
//! back. Only what the gateway reads is interpreted; every header is kept.

use std::fmt::Write as _;

use crate::domain::digest::DigestAnswer;

/// The first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

/// A SIP request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage {
    pub start: StartLine,
    /// In order, names in their full form (`v` is `Via`).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why bytes are not a SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A TCP stream has not delivered the whole message yet.
    #[error("incomplete message")]
    Incomplete,
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("message larger than {0} bytes")]
    TooLarge(usize),
}

fn malformed(why: impl Into<String>) -> ParseError {
    ParseError::Malformed(why.into())
}

/// Returns the full name of a compact header name (RFC 3261 §7.3.3), or
/// the name as sent.
fn full_name(name: &str) -> String {
    let full = match name.to_ascii_lowercase().as_str() {
        "i" => "Call-ID",
        "m" => "Contact",
        "e" => "Content-Encoding",
        "l" => "Content-Length",
        "c" => "Content-Type",
        "f" => "From",
        "s" => "Subject",
        "k" => "Supported",
        "t" => "To",
        "v" => "Via",
        _ => return name.to_owned(),
    };
    full.to_owned()
}

/// Returns where the header section ends (the index after CRLF CRLF, or
/// LF LF from lenient senders).
fn header_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn parse_head(head: &str) -> Result<(StartLine, Vec<(String, String)>), ParseError> {
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().ok_or_else(|| malformed("no start line"))?;
    let start = if let Some(rest) = first.strip_prefix("SIP/2.0 ") {
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code: u16 = code
            .parse()
            .ok()
            .filter(|c| (100..700).contains(c))
            .ok_or_else(|| malformed(format!("status code {code:?}")))?;
        StartLine::Response {
            code,
            reason: reason.to_owned(),
        }
    } else {
        let mut parts = first.split(' ');
        let (Some(method), Some(uri), Some("SIP/2.0"), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(format!("start line {first:?}")));
        };
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(malformed(format!("method {method:?}")));
        }
        StartLine::Request {
            method: method.to_owned(),
            uri: uri.to_owned(),
        }
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A folded line continues the header above (RFC 3261 §7.3.1).
            let (_, value) = headers
                .last_mut()
                .ok_or_else(|| malformed("a continuation line before any header"))?;
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed(format!("header line {line:?}")))?;
        let name = name.trim();
        if name.is_empty() || name.contains(' ') {
            return Err(malformed(format!("header name {name:?}")));
        }
        headers.push((full_name(name), value.trim().to_owned()));
    }
    Ok((start, headers))
}

fn content_length(headers: &[(String, String)]) -> Result<Option<usize>, ParseError> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        .map(|(_, v)| {
            v.parse::<usize>()
                .map_err(|_| malformed(format!("Content-Length {v:?}")))
        })
        .transpose()
}

impl SipMessage {
    /// Parses one message: a whole UDP datagram (without Content-Length the
    /// body is the rest of it).
    ///
    /// # Errors
    /// Not a SIP message, or a Content-Length past the datagram's end.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        // Keepalive CRLFs (RFC 5626) are not messages.
        let start = bytes
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .ok_or(ParseError::Incomplete)?;
        let bytes = &bytes[start..];
        let end = header_end(bytes).ok_or_else(|| malformed("no blank line after the headers"))?;
        let head =
            std::str::from_utf8(&bytes[..end]).map_err(|_| malformed("headers are not UTF-8"))?;
        let (start, headers) = parse_head(head)?;
        let rest = &bytes[end..];
        let body = match content_length(&headers)? {
            None => rest.to_vec(),
            Some(n) if n <= rest.len() => rest[..n].to_vec(),
            Some(n) => {
                return Err(malformed(format!(
                    "Content-Length {n} but {} bytes follow",
                    rest.len()
                )));
            }
        };
        Ok(Self {
            start,
            headers,
            body,
        })
    }

    /// Returns the length of the first whole message in a TCP stream's
    /// buffer (leading CRLF keepalives included), or `None` until it has
    /// arrived.
    ///
    /// # Errors
    /// A message without Content-Length (required over TCP), or one larger
    /// than `max`.
    pub fn frame(buf: &[u8], max: usize) -> Result<Option<usize>, ParseError> {
        let skip = buf
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let bytes = &buf[skip..];
        let Some(end) = header_end(bytes) else {
            return if bytes.len() > max {
                Err(ParseError::TooLarge(max))
            } else {
                Ok(None)
            };
        };
        let head =
            std::str::from_utf8(&bytes[..end]).map_err(|_| malformed("headers are not UTF-8"))?;
        let (_, headers) = parse_head(head)?;
        let length = content_length(&headers)?
            .ok_or_else(|| malformed("no Content-Length on a stream transport"))?;
        // A Content-Length near usize::MAX must not wrap past the cap.
        let whole = end
            .checked_add(length)
            .filter(|&whole| whole <= max)
            .ok_or(ParseError::TooLarge(max))?;
        Ok((bytes.len() >= whole).then_some(skip + whole))
    }

    /// Returns the method of a request.
    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// Returns the first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Returns every value of header `name`, in order.
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Returns the Call-ID.
    pub fn call_id(&self) -> Option<&str> {
        self.header("Call-ID")
    }

    /// Returns the CSeq number and method.
    pub fn cseq(&self) -> Option<(u32, &str)> {
        let (n, method) = self.header("CSeq")?.split_once(' ')?;
        Some((n.trim().parse().ok()?, method.trim()))
    }

    /// Returns the user part of the From URI (a device's id).
    pub fn from_user(&self) -> Option<&str> {
        uri_user(self.header("From")?)
    }

    /// Returns the Expires the request asks for: the header, else the
    /// Contact's `expires` parameter.
    pub fn expires(&self) -> Option<u64> {
        if let Some(v) = self.header("Expires") {
            return v.trim().parse().ok();
        }
        let contact = self.header("Contact")?;
        param(contact, "expires")?.parse().ok()
    }

    /// Returns the Digest answer of the Authorization header.
    pub fn digest_answer(&self) -> Option<DigestAnswer> {
        let value = self.header("Authorization")?;
        let rest = value
            .strip_prefix("Digest ")
            .or_else(|| value.strip_prefix("digest "))?;
        let mut answer = DigestAnswer::default();
        for (key, value) in auth_params(rest) {
            let slot = match key.to_ascii_lowercase().as_str() {
                "username" => &mut answer.username,
                "realm" => &mut answer.realm,
                "nonce" => &mut answer.nonce,
                "uri" => &mut answer.uri,
                "response" => &mut answer.response,
                "qop" => &mut answer.qop,
                "nc" => &mut answer.nc,
                "cnonce" => &mut answer.cnonce,
                "algorithm" => &mut answer.algorithm,
                _ => continue,
            };
            *slot = value;
        }
        Some(answer)
    }

    /// Writes the message, with a Content-Length of its body (any sent one
    /// replaced).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = String::new();
        match &self.start {
            StartLine::Request { method, uri } => {
                let _ = write!(head, "{method} {uri} SIP/2.0\r\n");
            }
            StartLine::Response { code, reason } => {
                let _ = write!(head, "SIP/2.0 {code} {reason}\r\n");
            }
        }
        for (name, value) in &self.headers {
            if !name.eq_ignore_ascii_case("Content-Length") {
                let _ = write!(head, "{name}: {value}\r\n");
            }
        }
        let _ = write!(head, "Content-Length: {}\r\n\r\n", self.body.len());
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Returns the response to this request with `code` and `reason`: Via,
    /// From, Call-ID and CSeq copied, To with `to_tag` when it has none.
    pub fn respond(&self, code: u16, reason: &str, to_tag: &str) -> SipMessage {
        let mut headers = Vec::new();
        for (name, value) in &self.headers {
            match name.as_str() {
                "Via" | "From" | "Call-ID" | "CSeq" => headers.push((name.clone(), value.clone())),
                "To" if param(value, "tag").is_none() => {
                    headers.push((name.clone(), format!("{value};tag={to_tag}")));
                }
                "To" => headers.push((name.clone(), value.clone())),
                _ => {}
            }
        }
        SipMessage {
            start: StartLine::Response {
                code,
                reason: reason.to_owned(),
            },
            headers,
            body: Vec::new(),
        }
    }

    /// Fills the top Via's `received` and an empty `rport` with where the
    /// request came from (RFC 3261 §18.2.1, RFC 3581).
    pub fn stamp_via(&mut self, source: std::net::SocketAddr) {
        if let Some((_, via)) = self.headers.iter_mut().find(|(n, _)| n == "Via") {
            let mut parts: Vec<String> = via.split(';').map(str::to_owned).collect();
            let mut has_received = false;
            for part in parts.iter_mut().skip(1) {
                let key = part
                    .split('=')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if key == "rport" && !part.contains('=') {
                    *part = format!("rport={}", source.port());
                } else if key == "received" {
                    has_received = true;
                }
            }
            if !has_received {
                parts.push(format!("received={}", source.ip()));
            }
            *via = parts.join(";");
        }
    }

    /// Adds a header.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// Returns the user part of the URI in a From, To or Contact value
/// (`"name" <sip:user@host>;tag=x` or `sip:user@host`).
pub fn uri_user(value: &str) -> Option<&str> {
    let uri = match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value.split(';').next()?,
    };
    let rest = uri
        .trim()
        .strip_prefix("sip:")
        .or_else(|| uri.trim().strip_prefix("sips:"))?;
    let user = rest.split('@').next()?;
    (!user.is_empty() && rest.contains('@')).then_some(user)
}

/// Returns parameter `name` of a header value (`…;name=value`).
pub fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    // Parameters after the URI's closing bracket, or after the first `;`.
    let params = match value.rfind('>') {
        Some(i) => &value[i + 1..],
        None => value,
    };
    params.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Returns the `key=value` pairs of a Digest header, unquoted; commas
/// inside quotes do not split.
fn auth_params(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => {
                pairs.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    pairs.push(current);
    pairs
        .into_iter()
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &str = "REGISTER sip:31011600002000000001@3101160000 SIP/2.0\r\n\
        v: SIP/2.0/UDP 192.0.2.7:5060;rport;branch=z9hG4bK1\r\n\
        f: <sip:31011611001320000001@3101160000>;tag=abc\r\n\
        t: <sip:31011611001320000001@3101160000>\r\n\
        i: 42@192.0.2.7\r\n\
        CSeq: 1 REGISTER\r\n\
        Contact: <sip:31011611001320000001@192.0.2.7:5060>\r\n\
        Authorization: Digest username=\"31011611001320000001\", realm=\"3101160000\",\r\n \
        nonce=\"n,1\", uri=\"sip:31011600002000000001@3101160000\", response=\"r\", qop=auth, nc=00000001, cnonce=\"c\"\r\n\
        Expires: 3600\r\n\
        l: 0\r\n\r\n";

    #[test]
    fn compact_names_are_expanded_and_folded_lines_joined() {
        let m = SipMessage::parse(REGISTER.as_bytes()).unwrap();
        assert_eq!(m.method(), Some("REGISTER"));
        assert_eq!(m.call_id(), Some("42@192.0.2.7"));
        assert_eq!(m.cseq(), Some((1, "REGISTER")));
        assert_eq!(m.from_user(), Some("31011611001320000001"));
        assert_eq!(m.expires(), Some(3600));
        let answer = m.digest_answer().unwrap();
        assert_eq!(answer.nonce, "n,1", "a comma inside quotes does not split");
        assert_eq!(answer.qop, "auth");
        assert_eq!(answer.cnonce, "c");
    }

    #[test]
    fn a_response_copies_the_transaction_and_tags_the_to() {
        let mut m = SipMessage::parse(REGISTER.as_bytes()).unwrap();
        m.stamp_via("192.0.2.7:40000".parse().unwrap());
        let r = m.respond(200, "OK", "t1");
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert!(text.starts_with("SIP/2.0 200 OK\r\n"));
        assert!(text.contains(
            "Via: SIP/2.0/UDP 192.0.2.7:5060;rport=40000;branch=z9hG4bK1;received=192.0.2.7\r\n"
        ));
        assert!(text.contains("To: <sip:31011611001320000001@3101160000>;tag=t1\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn a_stream_is_framed_by_content_length() {
        let one = "MESSAGE sip:a@b SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 5\r\n\r\nhello";
        let two = format!("\r\n\r\n{one}{one}");
        let n = SipMessage::frame(two.as_bytes(), 65535).unwrap().unwrap();
        assert_eq!(n, 4 + one.len());
        assert_eq!(SipMessage::frame(&two.as_bytes()[..20], 65535), Ok(None));
        let unframed = "MESSAGE sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n";
        assert!(SipMessage::frame(unframed.as_bytes(), 65535).is_err());
        assert_eq!(
            SipMessage::frame(one.as_bytes(), 10),
            Err(ParseError::TooLarge(10))
        );
    }

    #[test]
    fn frame_of_a_content_length_near_the_largest_number_is_too_large_not_an_overflow() {
        let huge = format!(
            "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: {}\r\n\r\n",
            usize::MAX
        );
        assert_eq!(
            SipMessage::frame(huge.as_bytes(), 65535),
            Err(ParseError::TooLarge(65535))
        );
    }

    #[test]
    fn a_content_length_past_the_datagram_is_malformed() {
        let short = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 50\r\n\r\nhello";
        assert!(matches!(
            SipMessage::parse(short.as_bytes()),
            Err(ParseError::Malformed(_))
        ));
    }
}
