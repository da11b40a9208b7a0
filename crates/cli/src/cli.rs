//! The command line: the options every command takes, the command groups,
//! and the dispatch from a parsed line to the group that runs it. Each group
//! (`cmd::*`) owns its clap definitions, its parsing tests and its execution.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use platform::auth::Role;

use crate::cmd::calendar::CalendarCommand;
use crate::cmd::completions::CompletionsArgs;
use crate::cmd::exchange::ExchangeCommand;
use crate::cmd::grid::GridCommand;
use crate::cmd::points::PointsCommand;
use crate::cmd::review::ReviewCommand;
use crate::cmd::seed::SeedCommand;
use crate::cmd::stats::StatsArgs;
use crate::cmd::ticket::TicketCommand;
use crate::cmd::token;
use crate::cmd::video::VideoCommand;
use crate::cmd::worklist::WorklistCommand;
use crate::connect::{self, DEV_SECRET, Identity, Tls};
use crate::output::Output;

/// `weigrid`: the options every command takes, and the command.
#[derive(Parser)]
#[command(
    name = "weigrid",
    version,
    about = "Command-line client for weigrid, the grassroots-governance platform",
    // Every command takes these; under their own heading, a command's own
    // options come first in its help.
    next_help_heading = "Global options"
)]
pub struct Cli {
    /// Grid registry address.
    #[arg(
        long,
        global = true,
        env = "WEIGRID_REGISTRY_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub registry: String,
    /// Ticket dispatch address.
    #[arg(
        long,
        global = true,
        env = "WEIGRID_DISPATCH_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    pub dispatch: String,
    /// Points address.
    #[arg(
        long,
        global = true,
        env = "WEIGRID_POINTS_URL",
        default_value = "http://127.0.0.1:50055"
    )]
    pub points: String,
    /// Video ingest address.
    #[arg(
        long,
        global = true,
        env = "WEIGRID_VIDEO_URL",
        default_value = "http://127.0.0.1:50053"
    )]
    pub video: String,
    /// Case-exchange address (this town's node, its local API).
    #[arg(
        long,
        global = true,
        env = "WEIGRID_EXCHANGE_URL",
        default_value = "http://127.0.0.1:50056"
    )]
    pub exchange: String,
    /// Case review address.
    #[arg(
        long,
        global = true,
        env = "WEIGRID_REVIEW_URL",
        default_value = "http://127.0.0.1:50054"
    )]
    pub review: String,
    /// Bearer token from the identity provider; without it a development
    /// token is minted for --role and --scope. Prefer --token-file (or
    /// WEIGRID_TOKEN): a token on the command line shows in `ps`.
    #[arg(long, global = true, env = "WEIGRID_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// File holding the bearer token (read at every command, so a rotated
    /// token is picked up).
    #[arg(long, global = true, env = "WEIGRID_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// CA certificate (PEM) that signed the services' certificates, for
    /// https:// addresses.
    #[arg(long, global = true, env = "WEIGRID_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// The CLI's own certificate (PEM), for services that require mutual TLS.
    #[arg(long, global = true, env = "WEIGRID_CLIENT_CERT", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The key of --cert (PEM).
    #[arg(long, global = true, env = "WEIGRID_CLIENT_KEY", requires = "cert")]
    pub key: Option<PathBuf>,
    /// The name in the services' certificates, when the address does not
    /// carry it (an address by IP).
    #[arg(long, global = true, env = "WEIGRID_TLS_DOMAIN")]
    pub tls_domain: Option<String>,
    /// A configuration file of addresses, TLS files, token file, role and
    /// scope (TOML; see `weigrid --help`); default
    /// $XDG_CONFIG_HOME/weigrid/config.toml or ~/.config/weigrid/config.toml
    /// when it exists. Options and WEIGRID_… variables win over it.
    #[arg(long, global = true, env = "WEIGRID_CONFIG")]
    pub config: Option<PathBuf>,
    /// Role to act as.
    #[arg(
        long,
        global = true,
        env = "WEIGRID_ROLE",
        value_enum,
        ignore_case = true,
        default_value = "town_operator"
    )]
    pub role: RoleArg,
    /// Grid code the role is scoped to (a village for workstation staff).
    #[arg(long, global = true, env = "WEIGRID_SCOPE")]
    pub scope: Option<String>,
    /// Who you are, recorded by services (audit trails, events).
    #[arg(long, global = true, env = "WEIGRID_SUBJECT", default_value = "cli")]
    pub subject: String,
    /// Secret for development tokens (services' auth.dev_secret).
    #[arg(long, global = true, env = "WEIGRID_DEV_SECRET", default_value = DEV_SECRET, hide_default_value = true)]
    pub dev_secret: String,
    /// Output format.
    #[arg(long, short, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    #[command(subcommand)]
    pub command: Command,
}

/// The command groups.
#[derive(Subcommand)]
pub enum Command {
    /// Prints a development token for --role and --scope (for grpcurl and friends).
    Token,
    /// The grid registry: grids, members, objects, responsibility.
    #[command(subcommand)]
    Grid(GridCommand),
    /// Loads a data set through the public API.
    #[command(subcommand)]
    Seed(SeedCommand),
    /// Ticket dispatch: take in, dispatch and follow tickets.
    #[command(subcommand)]
    Ticket(TicketCommand),
    /// Villagers' points: residents, reports, balances, the catalogue.
    #[command(subcommand)]
    Points(PointsCommand),
    /// Video ingest: the cameras, their owners, grids and health,
    /// incidents, evidence and its verification, disclosure on application.
    #[command(subcommand)]
    Video(VideoCommand),
    /// Case exchange with the neighbouring towns: peers, joint cases, the
    /// message log and its verification.
    #[command(subcommand)]
    Exchange(ExchangeCommand),
    /// Case review (研判): review requests, experts, panels, signed opinions,
    /// the recommendation and the decision.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Work lists (一套明细单): policies broken into the villages' tasks,
    /// progress, verification, closing, and the printable documents.
    #[command(subcommand)]
    Worklist(WorklistCommand),
    /// Statistics of the tickets received in a period, and the annual report.
    Stats(StatsArgs),
    /// The business calendar: public holidays and make-up working days.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Prints a shell completion script to standard output.
    Completions(CompletionsArgs),
}

/// A role to act as (`--role`), spelled as in tokens and configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum RoleArg {
    /// Staff of the town operations centre.
    #[value(alias = "town-operator")]
    TownOperator,
    /// Staff of a village or residential workstation (with --scope).
    #[value(alias = "workstation-staff")]
    WorkstationStaff,
    /// A micro-grid leader (with --scope).
    #[value(alias = "micro-grid-leader")]
    MicroGridLeader,
    /// A grid member (with --scope).
    Member,
    /// An officer of a department (with --scope).
    #[value(alias = "department-officer")]
    DepartmentOfficer,
    /// A lawyer or expert reviewing hard cases.
    Reviewer,
    /// A villager.
    Resident,
    /// Another weigrid service or an integrator's system.
    Service,
    /// An officer of the police station (派出所).
    Police,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::TownOperator => Role::TownOperator,
            RoleArg::WorkstationStaff => Role::WorkstationStaff,
            RoleArg::MicroGridLeader => Role::MicroGridLeader,
            RoleArg::Member => Role::Member,
            RoleArg::DepartmentOfficer => Role::DepartmentOfficer,
            RoleArg::Reviewer => Role::Reviewer,
            RoleArg::Resident => Role::Resident,
            RoleArg::Service => Role::Service,
            RoleArg::Police => Role::Police,
        }
    }
}

/// Returns `$XDG_CONFIG_HOME/weigrid/config.toml`, else
/// `~/.config/weigrid/config.toml`.
fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("weigrid").join("config.toml"))
}

/// What a configuration file may set (`weigrid --config FILE`): every key
/// optional; options and `WEIGRID_…` variables win over it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub registry: Option<String>,
    pub dispatch: Option<String>,
    pub points: Option<String>,
    pub video: Option<String>,
    pub exchange: Option<String>,
    pub review: Option<String>,
    pub token_file: Option<PathBuf>,
    pub ca_cert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub tls_domain: Option<String>,
    pub role: Option<String>,
    pub scope: Option<String>,
    pub subject: Option<String>,
}

impl Cli {
    /// Parses the command line, then fills what neither an option nor a
    /// variable set from the configuration file.
    ///
    /// # Errors
    /// A configuration file that cannot be read or names an unknown key
    /// (clap itself exits on a bad command line).
    pub fn load() -> anyhow::Result<Self> {
        use clap::{CommandFactory as _, FromArgMatches as _};
        let matches = Self::command().get_matches();
        let mut cli = Self::from_arg_matches(&matches)?;
        let (path, explicit) = match &cli.config {
            Some(path) => (Some(path.clone()), true),
            None => (default_config_path(), false),
        };
        if let Some(path) = path.filter(|p| explicit || p.is_file()) {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the configuration {}", path.display()))?;
            let file: FileConfig = toml::from_str(&text)
                .with_context(|| format!("in the configuration {}", path.display()))?;
            cli.apply(&file, |id| {
                matches!(
                    matches.value_source(id),
                    None | Some(clap::parser::ValueSource::DefaultValue)
                )
            })?;
        }
        Ok(cli)
    }

    /// Takes from `file` each setting `unset(id)` says nobody gave.
    fn apply(&mut self, file: &FileConfig, unset: impl Fn(&str) -> bool) -> anyhow::Result<()> {
        let take = |id: &str, value: &Option<String>, slot: &mut String| {
            if let Some(value) = value.as_ref().filter(|_| unset(id)) {
                *slot = value.clone();
            }
        };
        take("registry", &file.registry, &mut self.registry);
        take("dispatch", &file.dispatch, &mut self.dispatch);
        take("points", &file.points, &mut self.points);
        take("video", &file.video, &mut self.video);
        take("exchange", &file.exchange, &mut self.exchange);
        take("review", &file.review, &mut self.review);
        take("subject", &file.subject, &mut self.subject);
        let take_opt = |id: &str, value: &Option<PathBuf>, slot: &mut Option<PathBuf>| {
            if value.is_some() && unset(id) {
                slot.clone_from(value);
            }
        };
        take_opt("token_file", &file.token_file, &mut self.token_file);
        take_opt("ca_cert", &file.ca_cert, &mut self.ca_cert);
        take_opt("cert", &file.cert, &mut self.cert);
        take_opt("key", &file.key, &mut self.key);
        if file.tls_domain.is_some() && unset("tls_domain") {
            self.tls_domain.clone_from(&file.tls_domain);
        }
        if file.scope.is_some() && unset("scope") {
            self.scope.clone_from(&file.scope);
        }
        if let Some(role) = file.role.as_ref().filter(|_| unset("role")) {
            self.role = <RoleArg as clap::ValueEnum>::from_str(role, true)
                .map_err(|e| anyhow::anyhow!("role {role:?} in the configuration file: {e}"))?;
        }
        Ok(())
    }

    /// Returns who the command acts as.
    ///
    /// # Errors
    /// The token file cannot be read or is empty.
    pub fn identity(&self) -> anyhow::Result<Identity> {
        let token = match (&self.token, &self.token_file) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(path)) => {
                let token = std::fs::read_to_string(path)
                    .with_context(|| format!("reading the token file {}", path.display()))?;
                let token = token.trim().to_owned();
                anyhow::ensure!(
                    !token.is_empty(),
                    "the token file {} is empty",
                    path.display()
                );
                Some(token)
            }
            (None, None) => None,
        };
        Ok(Identity {
            token,
            role: self.role.into(),
            scope: self.scope.clone(),
            subject: self.subject.clone(),
            dev_secret: self.dev_secret.clone(),
            tls: Tls {
                ca_cert: self.ca_cert.clone(),
                cert: self.cert.clone(),
                key: self.key.clone(),
                domain: self.tls_domain.clone(),
            },
        })
    }

    /// Connects to the service the command needs and runs it there.
    ///
    /// # Errors
    /// A service that cannot be reached, a refused call (its
    /// `tonic::Status` inside the error), or bad arguments.
    pub async fn execute(self) -> anyhow::Result<()> {
        let identity = self.identity()?;
        let output = self.output;
        match self.command {
            Command::Token => token::execute(&identity),
            Command::Completions(args) => args.execute(),
            Command::Grid(command) => {
                let mut client = connect::registry(&self.registry, &identity).await?;
                command.execute(&mut client, output).await
            }
            Command::Seed(command) => {
                command
                    .execute(&self.registry, &self.video, &identity, output)
                    .await
            }
            Command::Ticket(command) => {
                let mut client = connect::dispatch(&self.dispatch, &identity).await?;
                command.execute(&mut client, output).await
            }
            Command::Stats(args) => {
                let mut client = connect::dispatch(&self.dispatch, &identity).await?;
                args.execute(&mut client, output).await
            }
            Command::Calendar(command) => {
                let mut client = connect::dispatch(&self.dispatch, &identity).await?;
                command.execute(&mut client, output).await
            }
            Command::Points(command) => {
                let mut client = connect::points(&self.points, &identity).await?;
                command.execute(&mut client, output).await
            }
            Command::Video(command) if command.is_offline() => {
                command.execute_offline(output).await
            }
            Command::Video(command) => {
                let mut client = connect::video(&self.video, &identity).await?;
                command.execute(&mut client, output).await
            }
            Command::Exchange(command) if command.is_offline() => command.execute_offline(output),
            Command::Exchange(command) => {
                let mut client = connect::exchange(&self.exchange, &identity).await?;
                command.execute(&mut client, output).await
            }
            Command::Review(command) if command.is_offline() => command.execute_offline(output),
            Command::Review(command) => {
                let mut client = connect::review(&self.review, &identity).await?;
                command.execute(&mut client, output).await
            }
            Command::Worklist(command) => {
                let mut client = connect::review(&self.review, &identity).await?;
                let neighbours = crate::cmd::worklist::Neighbours {
                    registry: &self.registry,
                    dispatch: &self.dispatch,
                };
                command
                    .execute(&mut client, neighbours, &identity, output)
                    .await
            }
        }
    }
}

/// Parses a command line the way `weigrid` does, for the groups' tests.
#[cfg(test)]
pub(crate) fn parse(line: &str) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(line.split(' '))
}

/// Asserts that every value of `T` maps to the generated value named
/// `prefix` + its spelling (`forest-parcel` → `OBJECT_KIND_FOREST_PARCEL`):
/// typed values go out by name, never as numbers picked by hand.
#[cfg(test)]
pub(crate) fn assert_maps_by_name<T: ValueEnum + Copy>(
    prefix: &str,
    name: impl Fn(T) -> &'static str,
) {
    for value in T::value_variants() {
        let spelled = value
            .to_possible_value()
            .expect("no value is skipped")
            .get_name()
            .to_uppercase()
            .replace('-', "_");
        assert_eq!(name(*value), format!("{prefix}{spelled}"));
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn every_command_and_flag_is_defined_once() {
        Cli::command().debug_assert();
    }

    /// Parsing reads every flag back by its id: a subcommand's flag that
    /// shares a global flag's id fails here, not in a user's hands.
    #[test]
    fn command_lines_of_every_group_parse() {
        for line in [
            "weigrid token",
            "weigrid grid list --level village",
            "weigrid ticket list --queue desk",
            "weigrid ticket reopen LX-2026-000001 --reason x --cause report-untrue",
            "weigrid ticket refer LX-2026-000001 --question x --party y --party z --major",
            "weigrid ticket list --state UNDER_REVIEW",
            "weigrid points rules",
            "weigrid points rules --set SANITATION --base-points 8 --inactive",
            "weigrid points balance R-AAAA-BBBB --role workstation_staff --scope LX-V02",
            "weigrid points catalog --put SOAP --cost 5 --stock 10 --restock -2",
            "weigrid points adjust --resident R-AAAA-BBBB --amount -5 --reason x",
            "weigrid stats --year 2026",
            "weigrid stats --year 2026 --by village --output json",
            "weigrid seed langxia",
            "weigrid seed langxia --cameras-only",
            "weigrid video cameras --kind thermal",
            "weigrid video cameras --owner enterprise --grid LX-V01 --status offline",
            "weigrid video camera 31011611001320000001",
            "weigrid video health --role police",
            "weigrid completions bash",
        ] {
            let parsed = parse(line);
            assert!(parsed.is_ok(), "{line}: {:?}", parsed.err());
        }
    }

    #[test]
    fn a_role_is_spelled_as_in_tokens_or_with_hyphens_in_any_case() {
        for (line, role) in [
            ("weigrid token", Role::TownOperator),
            (
                "weigrid token --role workstation_staff",
                Role::WorkstationStaff,
            ),
            (
                "weigrid token --role micro-grid-leader",
                Role::MicroGridLeader,
            ),
            (
                "weigrid token --role DEPARTMENT_OFFICER",
                Role::DepartmentOfficer,
            ),
        ] {
            assert_eq!(
                parse(line).unwrap().identity().unwrap().role,
                role,
                "{line}"
            );
        }
        assert!(parse("weigrid token --role mayor").is_err());
    }

    #[test]
    fn every_role_maps_to_the_platform_role_of_the_same_name() {
        for value in RoleArg::value_variants() {
            let name = value.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(Role::from(*value).as_str(), name);
        }
        assert_eq!(RoleArg::value_variants().len(), Role::ALL.len());
    }

    #[test]
    fn the_help_lists_the_possible_roles_and_formats() {
        let help = Cli::command().render_long_help().to_string();
        for value in ["town_operator", "workstation_staff", "service", "json"] {
            assert!(help.contains(value), "{value} missing from:\n{help}");
        }
    }
}

#[cfg(test)]
mod config_tests {
    use super::*;

    #[test]
    fn a_configuration_file_fills_what_no_option_or_variable_set() {
        let dir = std::env::temp_dir().join(format!("weigrid-cli-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let token_file = dir.join("token");
        std::fs::write(&token_file, "header.claims.signature\n").unwrap();
        let file: FileConfig = toml::from_str(&format!(
            r#"
            registry = "https://registry.weigrid.example:50051"
            points = "https://points.weigrid.example:50055"
            token_file = "{}"
            ca_cert = "/etc/weigrid/ca.crt"
            role = "workstation-staff"
            scope = "LX-V02"
            "#,
            token_file.display()
        ))
        .unwrap();
        let mut cli = parse("weigrid --points http://127.0.0.1:1 token").unwrap();
        // As `load` says: only what no option or variable set.
        cli.apply(&file, |id| id != "points").unwrap();
        assert_eq!(cli.registry, "https://registry.weigrid.example:50051");
        assert_eq!(cli.points, "http://127.0.0.1:1", "the option wins");
        let identity = cli.identity().unwrap();
        assert_eq!(identity.token.as_deref(), Some("header.claims.signature"));
        assert_eq!(identity.role, Role::WorkstationStaff);
        assert_eq!(identity.scope.as_deref(), Some("LX-V02"));
        assert_eq!(
            identity.tls.ca_cert.as_deref(),
            Some(std::path::Path::new("/etc/weigrid/ca.crt"))
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_unknown_key_in_the_configuration_file_is_refused() {
        let err = toml::from_str::<FileConfig>("regsitry = \"x\"").unwrap_err();
        assert!(err.to_string().contains("regsitry"), "{err}");
    }
}
