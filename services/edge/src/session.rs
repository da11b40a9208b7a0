//! Residents' sessions. A resident signed in through the mini-program holds
//! a bearer token of the identity contract (`platform::auth::Claims`): role
//! `resident`, subject the resident's id, the issuer and audience every
//! service expects. Points then limits the resident to themselves. The edge
//! signs it: in development with the shared development secret, in
//! production with its own private key, whose public key the identity
//! provider's key set (`auth.jwks_path`) publishes under `session.key_id`.
//! Incoming tokens are checked with the platform's verifier, as the
//! services check them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use platform::auth::{Audience, Caller, Claims, Role, Verifier};
use platform::config::{AuthConfig, AuthMode, JwtAlgorithm};
use secrecy::ExposeSecret as _;

use crate::config::SessionConfig;
use crate::error::ApiError;

/// A session handed to the mini-program.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Signs residents' sessions and checks bearer tokens.
pub struct Sessions {
    key: EncodingKey,
    header: Header,
    issuer: String,
    audience: String,
    ttl: Duration,
    verifier: Verifier,
}

impl Sessions {
    /// Returns the signer and verifier for `auth`'s mode.
    ///
    /// # Errors
    /// The signing key cannot be read or parsed, or the verifier's keys.
    pub fn from_config(auth: &AuthConfig, session: &SessionConfig) -> anyhow::Result<Self> {
        let (key, mut header) = match auth.mode {
            AuthMode::Dev => (
                EncodingKey::from_secret(auth.dev_secret.expose_secret().as_bytes()),
                Header::new(Algorithm::HS256),
            ),
            AuthMode::Jwt => {
                let path = session
                    .signing_key_path
                    .as_ref()
                    .context("session.signing_key_path is required when auth.mode is jwt")?;
                let pem =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                let (key, algorithm) = match auth.algorithm {
                    JwtAlgorithm::RS256 => (EncodingKey::from_rsa_pem(&pem), Algorithm::RS256),
                    JwtAlgorithm::ES256 => (EncodingKey::from_ec_pem(&pem), Algorithm::ES256),
                    JwtAlgorithm::EdDSA => (EncodingKey::from_ed_pem(&pem), Algorithm::EdDSA),
                };
                let key =
                    key.with_context(|| format!("parsing the signing key in {}", path.display()))?;
                (key, Header::new(algorithm))
            }
        };
        if auth.mode == AuthMode::Jwt {
            header.kid = Some(session.key_id.clone());
        }
        Ok(Self {
            key,
            header,
            issuer: auth.issuer.clone(),
            audience: auth.audience.clone(),
            ttl: session.ttl,
            verifier: Verifier::from_config(auth)?,
        })
    }

    /// Returns a session for the resident `resident_id`.
    ///
    /// # Errors
    /// Signing failed (a key unusable for its algorithm).
    pub fn issue(&self, resident_id: &str) -> Result<Session, ApiError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let exp = now + self.ttl.as_secs();
        let claims = Claims {
            sub: resident_id.to_owned(),
            role: Role::Resident,
            scope: None,
            iss: self.issuer.clone(),
            aud: Audience::One(self.audience.clone()),
            iat: now,
            exp,
        };
        let token = jsonwebtoken::encode(&self.header, &claims, &self.key)
            .map_err(|err| ApiError::internal(&err))?;
        let expires_at = DateTime::from_timestamp(i64::try_from(exp).unwrap_or(i64::MAX), 0)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Ok(Session { token, expires_at })
    }

    /// Returns the resident an `authorization` header names.
    ///
    /// # Errors
    /// 401 without a valid bearer token; 403 for a token of another role
    /// (the mini-program API is the residents').
    pub fn resident(&self, header: Option<&str>) -> Result<Caller, ApiError> {
        let caller = self
            .verifier
            .verify_header(header)
            .map_err(|err| ApiError::unauthenticated(err.to_string()))?;
        if caller.role != Role::Resident {
            return Err(ApiError::forbidden(format!(
                "the mini-program API is for residents; the {} role uses the console",
                caller.role
            )));
        }
        Ok(caller)
    }
}

impl Sessions {
    /// Returns the staff member `token` names, for the console.
    ///
    /// # Errors
    /// 401 for a token the identity contract refuses; 403 for a resident's
    /// or a service's token (the console is for the town's staff).
    pub fn staff(&self, token: &str) -> Result<Caller, ApiError> {
        let caller = self
            .verifier
            .verify(token)
            .map_err(|err| ApiError::unauthenticated(err.to_string()))?;
        if !crate::staff::is_staff(caller.role) {
            return Err(ApiError::forbidden(format!(
                "the console is for the town's staff, not the {} role",
                caller.role
            )));
        }
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> AuthConfig {
        AuthConfig {
            mode: AuthMode::Dev,
            issuer: "weigrid-dev".into(),
            audience: "weigrid".into(),
            dev_secret: "a-development-secret".to_owned().into(),
            public_key_path: None,
            jwks_path: None,
            algorithm: JwtAlgorithm::RS256,
        }
    }

    fn session() -> SessionConfig {
        SessionConfig {
            ttl: Duration::from_secs(3600),
            signing_key_path: None,
            key_id: "edge".into(),
        }
    }

    #[test]
    fn a_session_is_a_resident_token_the_services_accept() {
        let sessions = Sessions::from_config(&auth(), &session()).unwrap();
        let issued = sessions.issue("0190-resident").unwrap();
        let caller = Verifier::from_config(&auth())
            .unwrap()
            .verify(&issued.token)
            .unwrap();
        assert_eq!(
            (caller.subject.as_str(), caller.role),
            ("0190-resident", Role::Resident)
        );
        let resident = sessions
            .resident(Some(&format!("Bearer {}", issued.token)))
            .unwrap();
        assert_eq!(resident.subject, "0190-resident");
    }

    #[test]
    fn a_staff_token_is_not_a_residents_session() {
        let sessions = Sessions::from_config(&auth(), &session()).unwrap();
        let staff = platform::auth::DevIssuer::from_config(&auth())
            .unwrap()
            .issue("op", Role::TownOperator, None, Duration::from_secs(60));
        let err = sessions
            .resident(Some(&format!("Bearer {staff}")))
            .unwrap_err();
        assert_eq!(err.status, http::StatusCode::FORBIDDEN);
        let err = sessions.resident(None).unwrap_err();
        assert_eq!(err.status, http::StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn production_sessions_are_signed_with_the_edges_key_under_its_key_id() {
        let dir = std::env::temp_dir().join(format!("edge-session-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let (private, public) = (dir.join("key.pem"), dir.join("public.pem"));
        std::fs::write(&private, key.serialize_pem()).unwrap();
        std::fs::write(&public, key.public_key_pem()).unwrap();
        let mut auth = auth();
        auth.mode = AuthMode::Jwt;
        auth.algorithm = JwtAlgorithm::EdDSA;
        auth.public_key_path = Some(public);
        let mut session = session();
        session.signing_key_path = Some(private);
        let sessions = Sessions::from_config(&auth, &session).unwrap();
        let issued = sessions.issue("r-1").unwrap();
        let header = jsonwebtoken::decode_header(&issued.token).unwrap();
        assert_eq!(header.kid.as_deref(), Some("edge"));
        let caller = Verifier::from_config(&auth)
            .unwrap()
            .verify(&issued.token)
            .unwrap();
        assert_eq!(caller.subject, "r-1");
        let _ = std::fs::remove_dir_all(dir);
    }
}
