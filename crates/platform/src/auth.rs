//! Authentication and roles. Every call carries a bearer JWT; the gRPC layer
//! verifies it and puts the [`Caller`] in the request's extensions. In
//! development the tokens are HMAC-signed with a shared secret (the CLI mints
//! them, `weigrid token`); in production they are checked with the identity
//! provider's public key.

use std::fmt;
use std::str::FromStr;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::{AuthConfig, AuthMode, JwtAlgorithm};

/// What a caller is, in the town's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Staff of the town operations centre (镇城运中心).
    TownOperator,
    /// Staff of a village or residential workstation; scoped to it.
    WorkstationStaff,
    /// A micro-grid leader (微网格长); scoped to the micro-grid.
    MicroGridLeader,
    /// A grid member (网格员); scoped to the micro-grid.
    Member,
    /// An officer of a town or district department.
    DepartmentOfficer,
    /// A lawyer or expert reviewing hard cases.
    Reviewer,
    /// A villager, through the mini-program.
    Resident,
    /// Another weigrid service or an integrator's system.
    Service,
    /// An officer of the police station (派出所): the only role that reads
    /// faces and number plates from the town's cameras.
    Police,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 9] = [
        Role::TownOperator,
        Role::WorkstationStaff,
        Role::MicroGridLeader,
        Role::Member,
        Role::DepartmentOfficer,
        Role::Reviewer,
        Role::Resident,
        Role::Service,
        Role::Police,
    ];

    /// Returns the role's name as in tokens and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::TownOperator => "town_operator",
            Role::WorkstationStaff => "workstation_staff",
            Role::MicroGridLeader => "micro_grid_leader",
            Role::Member => "member",
            Role::DepartmentOfficer => "department_officer",
            Role::Reviewer => "reviewer",
            Role::Resident => "resident",
            Role::Service => "service",
            Role::Police => "police",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('-', "_").to_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role {s:?}; one of {}", names.join(", "))
            })
    }
}

/// The claims weigrid reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user or service id.
    pub sub: String,
    pub role: Role,
    /// The grid code the caller acts within (a village's staff: the village);
    /// absent for town-wide roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub iss: String,
    /// The audience: one name, or a list (as common identity providers
    /// issue when a token serves several resource servers).
    pub aud: Audience,
    pub iat: u64,
    pub exp: u64,
}

/// A token's `aud` claim: a string or a list of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// Returns whether `name` is among the audience.
    pub fn contains(&self, name: &str) -> bool {
        match self {
            Audience::One(one) => one == name,
            Audience::Many(many) => many.iter().any(|a| a == name),
        }
    }
}

impl From<&str> for Audience {
    fn from(name: &str) -> Self {
        Audience::One(name.to_owned())
    }
}

/// The authenticated caller of a request.
#[derive(Clone)]
pub struct Caller {
    pub subject: String,
    pub role: Role,
    /// The grid code the caller acts within, if scoped.
    pub scope: Option<String>,
    token: std::sync::Arc<str>,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("subject", &self.subject)
            .field("role", &self.role)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// Returns a caller acting for a service itself (consuming another
    /// service's events), sending `token` onwards.
    pub fn service(subject: &str, token: &str) -> Self {
        Self {
            subject: subject.to_owned(),
            role: Role::Service,
            scope: None,
            token: token.into(),
        }
    }

    /// Returns the bearer token, to forward to services this call reaches.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Returns whether the caller has one of `roles`.
    pub fn has_role(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Checks bearer tokens.
pub struct Verifier {
    keys: Keys,
    validation: Validation,
    dev: bool,
    verified: Verified,
}

/// Tokens already verified, with their callers, so that a client sending
/// the same token on every call (as every client does) has its signature
/// checked once rather than on each call. Only a token that verified is
/// kept; its expiry is checked again on every use, and a reloaded key set
/// empties it (a token whose key was withdrawn is refused from then on).
/// The generation, bumped at each emptying, keeps out a token verified
/// with the old keys while they were being replaced.
#[derive(Default)]
struct Verified(std::sync::Mutex<VerifiedTokens>);

#[derive(Default)]
struct VerifiedTokens {
    generation: u64,
    tokens: std::collections::HashMap<std::sync::Arc<str>, (Caller, u64)>,
}

/// The most tokens kept verified; past it, the expired ones go, and all of
/// them when none has expired.
const MAX_VERIFIED: usize = 4096;

impl Verified {
    /// Returns the caller of `token` when it verified before and has not
    /// expired, and the generation to [`Verified::keep`] it under.
    fn get(&self, token: &str, leeway: u64) -> (Option<Caller>, u64) {
        let cache = self.0.lock().expect("verified tokens lock");
        let hit = cache
            .tokens
            .get(token)
            .filter(|(_, exp)| exp.saturating_add(leeway) >= unix_now())
            .map(|(caller, _)| caller.clone());
        (hit, cache.generation)
    }

    fn keep(&self, caller: &Caller, exp: u64, leeway: u64, generation: u64) {
        let mut cache = self.0.lock().expect("verified tokens lock");
        if cache.generation != generation {
            return;
        }
        if cache.tokens.len() >= MAX_VERIFIED {
            let now = unix_now();
            cache
                .tokens
                .retain(|_, (_, exp)| exp.saturating_add(leeway) >= now);
            if cache.tokens.len() >= MAX_VERIFIED {
                cache.tokens.clear();
            }
        }
        cache
            .tokens
            .insert(caller.token.clone(), (caller.clone(), exp));
    }

    fn forget_all(&self) {
        let mut cache = self.0.lock().expect("verified tokens lock");
        cache.generation += 1;
        cache.tokens.clear();
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Where the keys that sign tokens come from.
enum Keys {
    /// One key: the development secret, or the issuer's public key.
    One(DecodingKey),
    /// The issuer's key set (JWKS), mounted as a file and read again when it
    /// changes, so keys rotate without a restart; a token's `kid` picks its
    /// key.
    Set(KeySet),
}

struct KeySet {
    path: std::path::PathBuf,
    fallback: Algorithm,
    loaded: std::sync::RwLock<LoadedSet>,
}

struct LoadedSet {
    modified: Option<SystemTime>,
    checked: std::time::Instant,
    keys: Vec<(Option<String>, Algorithm, DecodingKey)>,
}

/// How often a mounted key set's file is looked at for a change.
const KEY_SET_CHECK: Duration = Duration::from_secs(10);

fn algorithm_of(algorithm: JwtAlgorithm) -> Algorithm {
    match algorithm {
        JwtAlgorithm::RS256 => Algorithm::RS256,
        JwtAlgorithm::ES256 => Algorithm::ES256,
        JwtAlgorithm::EdDSA => Algorithm::EdDSA,
    }
}

impl KeySet {
    fn open(path: &std::path::Path, fallback: Algorithm) -> anyhow::Result<Self> {
        let loaded = Self::read(path, fallback)?;
        Ok(Self {
            path: path.to_owned(),
            fallback,
            loaded: std::sync::RwLock::new(loaded),
        })
    }

    /// Reads the JWKS at `path`; keys for HMAC are refused (a shared secret
    /// is never a production key).
    fn read(path: &std::path::Path, fallback: Algorithm) -> anyhow::Result<LoadedSet> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&text)
            .with_context(|| format!("parsing the key set (JWKS) in {}", path.display()))?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            let algorithm = jwk
                .common
                .key_algorithm
                .and_then(|a| Algorithm::from_str(&a.to_string()).ok())
                .unwrap_or(fallback);
            anyhow::ensure!(
                !matches!(
                    algorithm,
                    Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
                ),
                "{}: symmetric (HS*) keys are not accepted",
                path.display()
            );
            let key = DecodingKey::from_jwk(jwk)
                .with_context(|| format!("a key in {} cannot be used", path.display()))?;
            keys.push((jwk.common.key_id.clone(), algorithm, key));
        }
        anyhow::ensure!(!keys.is_empty(), "{} holds no keys", path.display());
        Ok(LoadedSet {
            modified: std::fs::metadata(path).and_then(|m| m.modified()).ok(),
            checked: std::time::Instant::now(),
            keys,
        })
    }

    /// Reads the file again when it changed since the last look (at most
    /// every [`KEY_SET_CHECK`]); a broken new file keeps the old keys.
    /// Returns whether the keys were replaced.
    fn refresh(&self) -> bool {
        {
            let loaded = self.loaded.read().expect("key set lock");
            if loaded.checked.elapsed() < KEY_SET_CHECK {
                return false;
            }
        }
        let mut loaded = self.loaded.write().expect("key set lock");
        loaded.checked = std::time::Instant::now();
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        if modified == loaded.modified {
            return false;
        }
        match Self::read(&self.path, self.fallback) {
            Ok(fresh) => {
                tracing::info!(path = %self.path.display(), keys = fresh.keys.len(), "token signing keys reloaded");
                *loaded = fresh;
                true
            }
            Err(err) => {
                tracing::warn!(
                    error = format!("{err:#}"),
                    "keeping the previous token signing keys"
                );
                false
            }
        }
    }
}

impl Verifier {
    /// Builds the verifier for `config`'s mode.
    ///
    /// # Errors
    /// The public key or key set cannot be read or parsed.
    pub fn from_config(config: &AuthConfig) -> anyhow::Result<Self> {
        let (keys, algorithm) = match config.mode {
            AuthMode::Dev => (
                Keys::One(DecodingKey::from_secret(
                    config.dev_secret.expose_secret().as_bytes(),
                )),
                Algorithm::HS256,
            ),
            AuthMode::Jwt => {
                let algorithm = algorithm_of(config.algorithm);
                match (&config.jwks_path, &config.public_key_path) {
                    (Some(path), _) => (Keys::Set(KeySet::open(path, algorithm)?), algorithm),
                    (None, Some(path)) => {
                        let pem = std::fs::read(path)
                            .with_context(|| format!("reading {}", path.display()))?;
                        let key = match config.algorithm {
                            JwtAlgorithm::RS256 => DecodingKey::from_rsa_pem(&pem),
                            JwtAlgorithm::ES256 => DecodingKey::from_ec_pem(&pem),
                            JwtAlgorithm::EdDSA => DecodingKey::from_ed_pem(&pem),
                        }
                        .with_context(|| format!("parsing the public key in {}", path.display()))?;
                        (Keys::One(key), algorithm)
                    }
                    (None, None) => {
                        anyhow::bail!("auth.public_key_path or auth.jwks_path is required")
                    }
                }
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_audience(&[config.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Ok(Self {
            keys,
            validation,
            dev: config.mode == AuthMode::Dev,
            verified: Verified::default(),
        })
    }

    /// Returns whether this verifier accepts development tokens; the gRPC
    /// layer then admits callers only from loopback.
    pub fn is_dev(&self) -> bool {
        self.dev
    }

    /// Verifies `token` and returns its caller.
    ///
    /// # Errors
    /// A bad signature, issuer, audience, or an expired token.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        if let Keys::Set(set) = &self.keys
            && set.refresh()
        {
            self.verified.forget_all();
        }
        let (hit, generation) = self.verified.get(token, self.validation.leeway);
        if let Some(caller) = hit {
            return Ok(caller);
        }
        let invalid = |e: jsonwebtoken::errors::Error| AuthError::Invalid(e.to_string());
        let data = match &self.keys {
            Keys::One(key) => jsonwebtoken::decode::<Claims>(token, key, &self.validation),
            Keys::Set(set) => {
                let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
                let loaded = set.loaded.read().expect("key set lock");
                let (_, algorithm, key) = loaded
                    .keys
                    .iter()
                    .find(|(kid, _, _)| header.kid.is_none() || *kid == header.kid)
                    .ok_or_else(|| AuthError::Invalid("no key with this token's kid".into()))?;
                let mut validation = self.validation.clone();
                validation.algorithms = vec![*algorithm];
                jsonwebtoken::decode::<Claims>(token, key, &validation)
            }
        }
        .map_err(invalid)?;
        let claims = data.claims;
        let caller = Caller {
            subject: claims.sub,
            role: claims.role,
            scope: claims.scope,
            token: token.into(),
        };
        self.verified
            .keep(&caller, claims.exp, self.validation.leeway, generation);
        Ok(caller)
    }

    /// Verifies the value of an `authorization` header (`Bearer …`).
    ///
    /// # Errors
    /// No bearer token, or [`Verifier::verify`] refuses it.
    pub fn verify_header(&self, header: Option<&str>) -> Result<Caller, AuthError> {
        let token = header
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        self.verify(token)
    }
}

/// Mints development tokens with the shared secret; refused in `jwt` mode.
pub struct DevIssuer {
    key: EncodingKey,
    issuer: String,
    audience: String,
}

impl DevIssuer {
    /// Returns the issuer for `config`.
    ///
    /// # Errors
    /// `auth.mode` is not `dev`.
    pub fn from_config(config: &AuthConfig) -> anyhow::Result<Self> {
        anyhow::ensure!(
            config.mode == AuthMode::Dev,
            "development tokens exist only when auth.mode is dev"
        );
        Ok(Self::new(
            config.dev_secret.expose_secret(),
            &config.issuer,
            &config.audience,
        ))
    }

    /// Returns an issuer signing with `secret`.
    pub fn new(secret: &str, issuer: &str, audience: &str) -> Self {
        Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// Returns a token for `subject` with `role` and `scope`, valid for `ttl`.
    pub fn issue(&self, subject: &str, role: Role, scope: Option<&str>, ttl: Duration) -> String {
        let now = unix_now();
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            scope: scope.map(str::to_owned),
            iss: self.issuer.clone(),
            aud: Audience::One(self.audience.clone()),
            iat: now,
            exp: now + ttl.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .expect("HMAC signing of serialisable claims cannot fail")
    }
}

/// Returns the caller the gRPC layer authenticated.
///
/// # Errors
/// UNAUTHENTICATED when the request passed no auth layer.
pub fn caller<T>(request: &tonic::Request<T>) -> Result<Caller, tonic::Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| tonic::Status::unauthenticated("missing bearer token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev_config() -> AuthConfig {
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

    #[test]
    fn a_dev_token_round_trips_with_role_and_scope() {
        let config = dev_config();
        let token = DevIssuer::from_config(&config).unwrap().issue(
            "alice",
            Role::WorkstationStaff,
            Some("LX-V01"),
            Duration::from_secs(60),
        );
        let caller = Verifier::from_config(&config)
            .unwrap()
            .verify_header(Some(&format!("Bearer {token}")))
            .unwrap();
        assert_eq!(caller.subject, "alice");
        assert_eq!(caller.role, Role::WorkstationStaff);
        assert_eq!(caller.scope.as_deref(), Some("LX-V01"));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = DevIssuer::new("another-secret-entirely", "weigrid-dev", "weigrid").issue(
            "mallory",
            Role::TownOperator,
            None,
            Duration::from_secs(60),
        );
        let refused = Verifier::from_config(&dev_config()).unwrap().verify(&token);
        assert!(matches!(refused, Err(AuthError::Invalid(_))));
    }

    #[test]
    fn a_missing_header_is_refused() {
        let verifier = Verifier::from_config(&dev_config()).unwrap();
        assert!(matches!(
            verifier.verify_header(None),
            Err(AuthError::Missing)
        ));
        assert!(matches!(
            verifier.verify_header(Some("Basic abc")),
            Err(AuthError::Missing)
        ));
    }

    #[test]
    fn production_tokens_are_checked_with_the_issuers_public_key() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let dir = std::env::temp_dir().join(format!("weigrid-jwt-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let public = dir.join("public.pem");
        std::fs::write(&public, key.public_key_pem()).unwrap();
        let config = AuthConfig {
            mode: AuthMode::Jwt,
            issuer: "https://id.jinshan.example".into(),
            audience: "weigrid".into(),
            dev_secret: "unused-in-jwt-mode".to_owned().into(),
            public_key_path: Some(public),
            jwks_path: None,
            algorithm: JwtAlgorithm::EdDSA,
        };
        let sign = |issuer: &str, exp_offset: i64| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            let claims = Claims {
                sub: "operator-7".into(),
                role: Role::TownOperator,
                scope: None,
                iss: issuer.into(),
                aud: "weigrid".into(),
                iat: now as u64,
                exp: (now + exp_offset) as u64,
            };
            let signing = EncodingKey::from_ed_pem(key.serialize_pem().as_bytes()).unwrap();
            jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &signing).unwrap()
        };
        let verifier = Verifier::from_config(&config).unwrap();
        let caller = verifier
            .verify(&sign("https://id.jinshan.example", 300))
            .unwrap();
        assert_eq!(
            (caller.subject.as_str(), caller.role),
            ("operator-7", Role::TownOperator)
        );
        assert!(
            verifier
                .verify(&sign("https://elsewhere.example", 300))
                .is_err(),
            "wrong issuer"
        );
        assert!(
            verifier
                .verify(&sign("https://id.jinshan.example", -600))
                .is_err(),
            "expired"
        );
        let dev = DevIssuer::new(
            "a-development-secret",
            "https://id.jinshan.example",
            "weigrid",
        )
        .issue("mallory", Role::TownOperator, None, Duration::from_secs(60));
        assert!(
            verifier.verify(&dev).is_err(),
            "development tokens are refused in jwt mode"
        );
        assert!(DevIssuer::from_config(&config).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Returns an Ed25519 key, its JWK with `kid`, and a token it signs.
    fn ed25519(kid: &str) -> (serde_json::Value, String) {
        use base64::Engine as _;
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.public_key_raw());
        let jwk =
            serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA"});
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = Claims {
            sub: format!("signed-by-{kid}"),
            role: Role::TownOperator,
            scope: None,
            iss: "https://id.jinshan.example".into(),
            aud: "weigrid".into(),
            iat: now,
            exp: now + 300,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        let signing = EncodingKey::from_ed_pem(key.serialize_pem().as_bytes()).unwrap();
        (
            jwk,
            jsonwebtoken::encode(&header, &claims, &signing).unwrap(),
        )
    }

    #[test]
    fn keys_rotate_through_a_mounted_key_set_without_a_restart() {
        let dir = std::env::temp_dir().join(format!("weigrid-jwks-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("jwks.json");
        let (old_jwk, old_token) = ed25519("2026-11");
        let (new_jwk, new_token) = ed25519("2026-12");
        std::fs::write(
            &path,
            serde_json::json!({"keys": [old_jwk.clone()]}).to_string(),
        )
        .unwrap();
        let config = AuthConfig {
            mode: AuthMode::Jwt,
            issuer: "https://id.jinshan.example".into(),
            audience: "weigrid".into(),
            dev_secret: "unused-in-jwt-mode".to_owned().into(),
            public_key_path: None,
            jwks_path: Some(path.clone()),
            algorithm: JwtAlgorithm::RS256,
        };
        let verifier = Verifier::from_config(&config).unwrap();
        assert_eq!(
            verifier.verify(&old_token).unwrap().subject,
            "signed-by-2026-11"
        );
        assert!(verifier.verify(&new_token).is_err(), "not yet published");

        // The identity provider publishes the new key beside the old one.
        std::fs::write(
            &path,
            serde_json::json!({"keys": [old_jwk, new_jwk]}).to_string(),
        )
        .unwrap();
        let Keys::Set(set) = &verifier.keys else {
            panic!("a key set")
        };
        set.loaded.write().unwrap().checked -= KEY_SET_CHECK;
        assert_eq!(
            verifier.verify(&new_token).unwrap().subject,
            "signed-by-2026-12"
        );
        assert!(
            verifier.verify(&old_token).is_ok(),
            "both during the overlap"
        );

        // The old key is withdrawn: its token, verified before, is refused.
        std::fs::write(&path, serde_json::json!({"keys": [new_jwk]}).to_string()).unwrap();
        set.loaded.write().unwrap().checked -= KEY_SET_CHECK;
        assert!(verifier.verify(&old_token).is_err(), "withdrawn key");
        assert!(verifier.verify(&new_token).is_ok());

        // A development token is never accepted by a key set.
        let dev = DevIssuer::new(
            "a-development-secret",
            "https://id.jinshan.example",
            "weigrid",
        )
        .issue("mallory", Role::TownOperator, None, Duration::from_secs(60));
        assert!(verifier.verify(&dev).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_verified_token_is_kept_only_until_it_expires() {
        let config = dev_config();
        let verifier = Verifier::from_config(&config).unwrap();
        let issuer = DevIssuer::from_config(&config).unwrap();
        let token = issuer.issue(
            "operator-7",
            Role::TownOperator,
            None,
            Duration::from_secs(60),
        );
        assert_eq!(verifier.verify(&token).unwrap().subject, "operator-7");
        let (hit, _) = verifier.verified.get(&token, verifier.validation.leeway);
        assert_eq!(hit.map(|c| c.subject), Some("operator-7".to_owned()));

        // The same token kept as though it had expired long ago is not
        // served from the cache, and verifying it anew refuses it.
        let leeway = verifier.validation.leeway;
        let old = issuer.issue("operator-8", Role::TownOperator, None, Duration::ZERO);
        let caller = Caller {
            subject: "operator-8".into(),
            role: Role::TownOperator,
            scope: None,
            token: old.as_str().into(),
        };
        verifier
            .verified
            .keep(&caller, unix_now() - leeway - 1, leeway, 0);
        assert!(verifier.verified.get(&old, leeway).0.is_none(), "expired");

        // A token verified under keys since replaced is not kept.
        verifier.verified.forget_all();
        verifier.verified.keep(&caller, unix_now() + 600, leeway, 0);
        assert!(
            verifier.verified.get(&old, leeway).0.is_none(),
            "stale generation"
        );

        // A wrong signature is never kept.
        let dot = token.rfind('.').unwrap();
        let flipped = if token.as_bytes()[dot + 1] == b'A' {
            "B"
        } else {
            "A"
        };
        let forged = format!("{}{flipped}{}", &token[..=dot], &token[dot + 2..]);
        assert!(verifier.verify(&forged).is_err());
        assert!(verifier.verified.get(&forged, leeway).0.is_none());
    }

    #[test]
    fn an_audience_list_is_accepted_when_it_names_the_service() {
        let config = dev_config();
        let verifier = Verifier::from_config(&config).unwrap();
        let sign = |aud: Audience| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let claims = Claims {
                sub: "operator-7".into(),
                role: Role::TownOperator,
                scope: None,
                iss: "weigrid-dev".into(),
                aud,
                iat: now,
                exp: now + 60,
            };
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(b"a-development-secret"),
            )
            .unwrap()
        };
        let listed = sign(Audience::Many(vec!["account".into(), "weigrid".into()]));
        assert_eq!(verifier.verify(&listed).unwrap().subject, "operator-7");
        let elsewhere = sign(Audience::Many(vec!["account".into(), "billing".into()]));
        assert!(verifier.verify(&elsewhere).is_err(), "not for weigrid");
        assert!(verifier.verify(&sign("weigrid".into())).is_ok());
    }

    #[test]
    fn roles_parse_from_their_names_with_either_separator() {
        assert_eq!("town-operator".parse::<Role>().unwrap(), Role::TownOperator);
        assert_eq!(
            "micro_grid_leader".parse::<Role>().unwrap(),
            Role::MicroGridLeader
        );
        assert!(
            "mayor"
                .parse::<Role>()
                .unwrap_err()
                .contains("town_operator")
        );
    }
}
