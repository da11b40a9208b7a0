//! The node's keys and trust on disk: its ed25519 signing key, the
//! allow-list of peers (with each one's CA, endpoint, TLS name, signing key
//! and sharing policy), which peer a TLS client certificate belongs to, and
//! the development PKI (`case-exchange dev-pki`): a test CA and the three
//! towns' keys, certificates and allow-lists, made with rcgen.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::config::ExchangeConfig;
use crate::domain::envelope::MessageType;
use crate::domain::node::NodeId;
use crate::domain::sharing::{SharingPolicy, SharingRule, known, maskable};
use crate::domain::trust::Peer;

/// How a node reaches a peer's port.
#[derive(Debug, Clone)]
pub struct PeerLink {
    pub endpoint: String,
    pub tls_name: String,
    pub ca_path: PathBuf,
    /// The peer's CA certificate (DER), for telling its nodes' client
    /// certificates from those of other peers.
    ca_der: Vec<u8>,
}

/// This node's identity and trust, loaded at start.
#[derive(Clone)]
pub struct Identity {
    pub node: NodeId,
    pub key: SigningKey,
    pub peers: Vec<Peer>,
    pub links: HashMap<NodeId, PeerLink>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("node", &self.node)
            .field("peers", &self.peers.len())
            .finish_non_exhaustive()
    }
}

/// The allow-list file.
#[derive(Debug, Deserialize, Serialize)]
struct PeersFile {
    #[serde(default)]
    peers: Vec<PeerEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
struct PeerEntry {
    node: String,
    endpoint: String,
    tls_name: String,
    /// Relative to the allow-list file.
    ca_path: PathBuf,
    /// ed25519, 32 bytes, base64.
    signing_key: String,
    /// Per message type (REPORT, UPDATE, …): the fields that may leave.
    #[serde(default)]
    sharing: BTreeMap<String, RuleEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
struct RuleEntry {
    fields: Vec<String>,
    #[serde(default)]
    masked: Vec<String>,
}

/// Returns a signing key's public half as base64.
pub fn public_key_text(key: &VerifyingKey) -> String {
    BASE64.encode(key.as_bytes())
}

fn verifying_key(text: &str) -> anyhow::Result<VerifyingKey> {
    let bytes: [u8; 32] = BASE64
        .decode(text.trim())
        .context("not base64")?
        .try_into()
        .map_err(|_| anyhow::anyhow!("not 32 bytes"))?;
    VerifyingKey::from_bytes(&bytes).context("not an ed25519 public key")
}

/// Reads the signing key at `path`: 32 bytes, base64.
///
/// # Errors
/// The file cannot be read or holds no key.
pub fn read_signing_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let seed: [u8; 32] = BASE64
        .decode(text.trim())
        .with_context(|| format!("{} is not base64", path.display()))?
        .try_into()
        .map_err(|_| anyhow::anyhow!("{} does not hold 32 bytes", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

fn sharing(peer: &str, entries: &BTreeMap<String, RuleEntry>) -> anyhow::Result<SharingPolicy> {
    let mut policy = SharingPolicy::default();
    for (kind, entry) in entries {
        let Some(message_type) = MessageType::parse(kind) else {
            bail!(
                "peer {peer}: sharing.{kind} is not a message type (REPORT, UPDATE, ACK, ERROR, CANCEL, REQUEST, RESPONSE)"
            );
        };
        for field in &entry.fields {
            if !known(field) {
                bail!("peer {peer}: sharing.{kind}: {field} is not a field a policy can name");
            }
        }
        for field in &entry.masked {
            if !entry.fields.contains(field) || !maskable(field) {
                bail!(
                    "peer {peer}: sharing.{kind}: {field} is masked but not a listed name, phone or id_number"
                );
            }
        }
        policy.rules.insert(
            message_type,
            SharingRule {
                fields: entry.fields.iter().cloned().collect(),
                masked: entry.masked.iter().cloned().collect(),
            },
        );
    }
    Ok(policy)
}

fn pem_to_der(pem: &[u8], what: &Path) -> anyhow::Result<Vec<u8>> {
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem)
        .map_err(|err| anyhow::anyhow!("{} is not a PEM certificate: {err}", what.display()))?;
    Ok(parsed.contents)
}

impl Identity {
    /// Loads the node's identity, key and allow-list as `config` names them.
    ///
    /// # Errors
    /// A file cannot be read, or an entry of the allow-list is unusable
    /// (named by peer and key).
    pub fn load(config: &ExchangeConfig) -> anyhow::Result<Self> {
        let node = NodeId::parse(&config.node.id).context("node.id")?;
        let key = read_signing_key(&config.node.signing_key_path)?;
        let path = &config.node.peers_path;
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: PeersFile =
            toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let (mut peers, mut links) = (Vec::new(), HashMap::new());
        for entry in file.peers {
            let peer_node = NodeId::parse(&entry.node)
                .with_context(|| format!("{}: {} is not a node id", path.display(), entry.node))?;
            if peer_node == node {
                bail!("{}: the node itself is not its own peer", path.display());
            }
            let verifying_key = verifying_key(&entry.signing_key)
                .with_context(|| format!("peer {}: signing_key", entry.node))?;
            let ca_path = base.join(&entry.ca_path);
            let ca_pem = std::fs::read(&ca_path)
                .with_context(|| format!("peer {}: reading {}", entry.node, ca_path.display()))?;
            let ca_der = pem_to_der(&ca_pem, &ca_path)?;
            peers.push(Peer {
                node: peer_node.clone(),
                endpoint: entry.endpoint.clone(),
                tls_name: entry.tls_name.clone(),
                verifying_key,
                sharing: sharing(&entry.node, &entry.sharing)?,
            });
            links.insert(
                peer_node,
                PeerLink {
                    endpoint: entry.endpoint,
                    tls_name: entry.tls_name,
                    ca_path,
                    ca_der,
                },
            );
        }
        Ok(Self {
            node,
            key,
            peers,
            links,
        })
    }

    /// Returns the allow-listed peer `node`.
    pub fn peer(&self, node: &NodeId) -> Option<&Peer> {
        self.peers.iter().find(|p| &p.node == node)
    }

    /// Returns the peer whose certificate `der` is: issued by that peer's
    /// CA for the name the allow-list gives it.
    ///
    /// # Errors
    /// No peer's: named in the message.
    pub fn peer_of_certificate(&self, der: &[u8]) -> Result<NodeId, String> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|err| format!("unreadable certificate: {err}"))?;
        let names: Vec<String> = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|name| match name {
                        x509_parser::extensions::GeneralName::DNSName(dns) => {
                            Some((*dns).to_owned())
                        }
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (node, link) in &self.links {
            if !names.contains(&link.tls_name) {
                continue;
            }
            let Ok((_, ca)) = x509_parser::parse_x509_certificate(&link.ca_der) else {
                continue;
            };
            if cert.verify_signature(Some(ca.public_key())).is_ok() {
                return Ok(node.clone());
            }
        }
        Err(format!(
            "certificate for {} is no allow-listed peer's",
            if names.is_empty() {
                "no name".to_owned()
            } else {
                names.join(", ")
            }
        ))
    }
}

/// One town of the development federation.
#[derive(Debug, Clone)]
pub struct DevTown {
    /// `langxia`, `guangchen`, `xindai`.
    pub town: &'static str,
    pub node: NodeId,
    /// Where its peer port listens.
    pub peer_listen: std::net::SocketAddr,
    /// Its folder: node.pem, node.key, signing.key, peers.toml, peers-ca.pem.
    pub dir: PathBuf,
}

impl DevTown {
    /// Returns the name its certificate carries.
    pub fn tls_name(&self) -> String {
        format!("{}.exchange.weigrid.test", self.town)
    }
}

/// The three towns of the joint dispute station, with the peer ports
/// `make run` gives them.
pub fn dev_towns(root: &Path, ports: [u16; 3]) -> Vec<DevTown> {
    [
        ("langxia", "shanghai/jinshan/langxia/case-exchange"),
        ("guangchen", "zhejiang/pinghu/guangchen/case-exchange"),
        ("xindai", "zhejiang/pinghu/xindai/case-exchange"),
    ]
    .into_iter()
    .zip(ports)
    .map(|((town, node), port)| DevTown {
        town,
        node: NodeId::parse(node).expect("a valid node id"),
        peer_listen: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        dir: root.join(town),
    })
    .collect()
}

/// The development sharing policy: reports and updates share what a joint
/// case needs, and an information check's answer what identifies a
/// finding; names in answers and phones leave masked, id numbers never
/// leave.
fn dev_sharing() -> BTreeMap<String, RuleEntry> {
    let report: Vec<String> = crate::domain::sharing::SUMMARY_FIELDS
        .iter()
        .filter(|f| !f.ends_with("id_number"))
        .map(|f| (*f).to_owned())
        .collect();
    let update: Vec<String> = crate::domain::sharing::MEDIATION_FIELDS
        .iter()
        .filter(|f| !f.ends_with("id_number"))
        .map(|f| (*f).to_owned())
        .collect();
    let response: Vec<String> = crate::domain::sharing::CHECK_FIELDS
        .iter()
        .filter(|f| !f.ends_with("id_number"))
        .map(|f| (*f).to_owned())
        .collect();
    BTreeMap::from([
        (
            "RESPONSE".to_owned(),
            RuleEntry {
                fields: response,
                masked: vec!["check.name".into(), "check.phone".into()],
            },
        ),
        (
            "REPORT".to_owned(),
            RuleEntry {
                fields: report,
                masked: vec!["parties.phone".into()],
            },
        ),
        (
            "UPDATE".to_owned(),
            RuleEntry {
                fields: update,
                masked: vec![
                    "mediation.mediators.phone".into(),
                    "mediation.parties.phone".into(),
                ],
            },
        ),
    ])
}

/// Makes a test CA and, for each of `towns`, a TLS key and certificate, an
/// ed25519 signing key and an allow-list of the other towns, under `root`
/// (ca.pem and ca.key at the top, each town in its folder).
///
/// # Errors
/// A file cannot be written, or a certificate not made.
pub fn dev_pki(root: &Path, towns: &[DevTown]) -> anyhow::Result<()> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "weigrid exchange development CA");
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    write(root.join("ca.pem"), &ca_cert.pem())?;
    write(root.join("ca.key"), &ca_key.serialize_pem())?;
    let mut public = HashMap::new();
    for town in towns {
        std::fs::create_dir_all(&town.dir)?;
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec![town.tls_name(), "localhost".to_owned()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, town.node.to_string());
        let cert = params.signed_by(&key, &issuer)?;
        write(town.dir.join("node.pem"), &cert.pem())?;
        write(town.dir.join("node.key"), &key.serialize_pem())?;
        write(town.dir.join("peers-ca.pem"), &ca_cert.pem())?;
        let signing = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        write(
            town.dir.join("signing.key"),
            &BASE64.encode(signing.to_bytes()),
        )?;
        public.insert(town.town, public_key_text(&signing.verifying_key()));
    }
    for town in towns {
        let peers = towns
            .iter()
            .filter(|other| other.town != town.town)
            .map(|other| PeerEntry {
                node: other.node.to_string(),
                endpoint: format!("https://{}", other.peer_listen),
                tls_name: other.tls_name(),
                ca_path: PathBuf::from("../ca.pem"),
                signing_key: public[other.town].clone(),
                sharing: dev_sharing(),
            })
            .collect();
        let text = toml::to_string(&PeersFile { peers })?;
        write(
            town.dir.join("peers.toml"),
            &format!(
                "# The peers this node takes envelopes from, and what may leave for each.\n{text}"
            ),
        )?;
    }
    Ok(())
}
