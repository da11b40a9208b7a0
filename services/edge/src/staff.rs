//! Staff sign-in for the console (`/console/`): the cookie that keeps a
//! staff member's token of the identity contract, the development sign-in
//! (only in `auth.mode = "dev"`), the header a change must carry, and which
//! roles the console is for. The console's pages (`console/`) use it; the
//! token inside is checked by [`crate::session::Sessions::staff`].

use std::path::PathBuf;
use std::time::Duration;

use http::{HeaderValue, header};
use platform::auth::{DevIssuer, Role};
use platform::config::{AuthConfig, AuthMode};

use crate::config::ConsoleConfig;
use crate::error::ApiError;

/// The cookie holding a staff member's token.
pub const COOKIE: &str = "weigrid_console";
/// The header every change must carry (see the module's documentation).
pub const CHANGE_HEADER: (&str, &str) = ("x-requested-with", "weigrid-console");

/// The console's sign-in settings, resolved at start.
pub struct StaffSignIn {
    pub(crate) assets: PathBuf,
    pub(crate) ttl: Duration,
    /// Cookies are `Secure` unless tokens are development ones.
    secure: bool,
    /// The development sign-in, only in `auth.mode = "dev"`.
    pub(crate) dev: Option<DevIssuer>,
}

impl StaffSignIn {
    /// Returns the console as `console` and `auth` say.
    ///
    /// # Errors
    /// The development issuer cannot be built (never in dev mode).
    pub fn from_config(console: &ConsoleConfig, auth: &AuthConfig) -> anyhow::Result<Self> {
        let dev = match auth.mode {
            AuthMode::Dev => Some(DevIssuer::from_config(auth)?),
            AuthMode::Jwt => None,
        };
        if !console.assets_dir.join("index.html").is_file() {
            tracing::warn!(
                assets_dir = %console.assets_dir.display(),
                "the console's front end is not there (scripts/console.sh assets builds it)"
            );
        }
        Ok(Self {
            assets: console.assets_dir.clone(),
            ttl: console.session_ttl,
            secure: auth.mode == AuthMode::Jwt,
            dev,
        })
    }

    /// Returns the `Set-Cookie` value keeping `token` for `ttl` (capped by
    /// the console's own session length).
    pub(crate) fn cookie(&self, token: &str, ttl: Duration) -> HeaderValue {
        let age = ttl.min(self.ttl).as_secs();
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={age}{secure}"
        ))
        .expect("a token is header-safe")
    }

    /// Returns the `Set-Cookie` value that ends the sign-in.
    pub(crate) fn expired(&self) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
        ))
        .expect("a static cookie is header-safe")
    }
}

/// Refuses a change without [`CHANGE_HEADER`].
pub fn require_change_header(headers: &http::HeaderMap) -> Result<(), ApiError> {
    let (name, value) = CHANGE_HEADER;
    if headers.get(name).and_then(|v| v.to_str().ok()) == Some(value) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "a console change must carry the header {name}: {value}"
        )))
    }
}

/// Returns the value of cookie `name` in the request's `Cookie` headers.
pub fn read_cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The roles the console is for: staff, not residents (the mini-program)
/// nor services.
pub fn is_staff(role: Role) -> bool {
    !matches!(role, Role::Resident | Role::Service)
}

/// Returns whether a role acts within a grid (its token names the scope).
pub fn needs_scope(role: Role) -> bool {
    matches!(
        role,
        Role::WorkstationStaff | Role::MicroGridLeader | Role::Member
    )
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    #[test]
    fn the_cookie_is_read_among_others() {
        let mut headers = http::HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; weigrid_console=tok.en; b=2"),
        );
        assert_eq!(read_cookie(&headers, COOKIE).as_deref(), Some("tok.en"));
        headers.clear();
        headers.append(header::COOKIE, HeaderValue::from_static("weigrid_console="));
        assert_eq!(
            read_cookie(&headers, COOKIE),
            None,
            "an emptied cookie is no sign-in"
        );
    }

    #[test]
    fn a_change_without_the_consoles_header_is_refused() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(
            require_change_header(&headers).unwrap_err().status,
            StatusCode::FORBIDDEN
        );
        headers.insert(
            "x-requested-with",
            HeaderValue::from_static("weigrid-console"),
        );
        assert!(require_change_header(&headers).is_ok());
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_in_production() {
        let mut console = StaffSignIn {
            assets: PathBuf::from("x"),
            ttl: Duration::from_secs(3600),
            secure: true,
            dev: None,
        };
        let set = console.cookie("t", Duration::from_secs(7200));
        let set = set.to_str().unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Secure")
        );
        assert!(
            set.contains("Max-Age=3600"),
            "capped by the console's session length: {set}"
        );
        console.secure = false;
        assert!(
            !console
                .cookie("t", Duration::from_secs(60))
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }
}
