//! The command line: the options every command takes, the command groups,
//! and the dispatch from a parsed line to the group that runs it. Each group
//! (`cmd::*`) owns its clap definitions, its parsing tests and its execution.

use clap::{Parser, Subcommand, ValueEnum};
use platform::auth::Role;

use crate::cmd::completions::CompletionsArgs;
use crate::cmd::grid::GridCommand;
use crate::cmd::points::PointsCommand;
use crate::cmd::seed::SeedCommand;
use crate::cmd::stats::StatsArgs;
use crate::cmd::ticket::TicketCommand;
use crate::cmd::token;
use crate::connect::{self, DEV_SECRET, Identity};
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
    /// Bearer token from the identity provider; without it a development
    /// token is minted for --role and --scope.
    #[arg(long, global = true, env = "WEIGRID_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
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
    /// Statistics of the tickets received in a period, and the annual report.
    Stats(StatsArgs),
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
        }
    }
}

impl Cli {
    /// Returns who the command acts as.
    pub fn identity(&self) -> Identity {
        Identity {
            token: self.token.clone(),
            role: self.role.into(),
            scope: self.scope.clone(),
            subject: self.subject.clone(),
            dev_secret: self.dev_secret.clone(),
        }
    }

    /// Connects to the service the command needs and runs it there.
    ///
    /// # Errors
    /// A service that cannot be reached, a refused call (its
    /// `tonic::Status` inside the error), or bad arguments.
    pub async fn execute(self) -> anyhow::Result<()> {
        let identity = self.identity();
        let output = self.output;
        match self.command {
            Command::Token => token::execute(&identity),
            Command::Completions(args) => args.execute(),
            Command::Grid(command) => {
                let mut client = connect::registry(&self.registry, &identity).await?;
                command.execute(&mut client, output).await
            }
            Command::Seed(command) => {
                let client = connect::registry(&self.registry, &identity).await?;
                command.execute(&client, output).await
            }
            Command::Ticket(command) => {
                let mut client = connect::dispatch(&self.dispatch, &identity).await?;
                command.execute(&mut client, output).await
            }
            Command::Stats(args) => {
                let mut client = connect::dispatch(&self.dispatch, &identity).await?;
                args.execute(&mut client, output).await
            }
            Command::Points(command) => {
                let mut client = connect::points(&self.points, &identity).await?;
                command.execute(&mut client, output).await
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
            "weigrid points rules",
            "weigrid points rules --set SANITATION --base-points 8 --inactive",
            "weigrid points balance R-AAAA-BBBB --role workstation_staff --scope LX-V02",
            "weigrid points catalog --put SOAP --cost 5 --stock 10 --restock -2",
            "weigrid points adjust --resident R-AAAA-BBBB --amount -5 --reason x",
            "weigrid stats --year 2026",
            "weigrid stats --year 2026 --by village --output json",
            "weigrid seed langxia",
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
            assert_eq!(parse(line).unwrap().identity().role, role, "{line}");
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
