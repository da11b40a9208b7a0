//! Who may call which RPC: every service declares one rule per RPC (the
//! roles that may call it) in one place, its `application/access.rs`, and
//! the platform layer refuses every other role before the request is
//! decoded. Closed by default: a service whose rules miss one of its RPCs,
//! or name one it does not serve, does not start. Scope (which grid, which
//! unit, which resident) is then checked by the use case, where the data
//! is.

use std::collections::HashMap;
use std::fmt::Write as _;

use prost::Message as _;

use crate::auth::{Caller, Role};

/// The metadata key a refusal by the policy carries (its value is the
/// method), so a caller and a test can tell it from a use case's refusal.
pub const REFUSED_BY_POLICY: &str = "x-weigrid-policy";

/// The roles that may call one RPC.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The RPC's name, e.g. `CreateTicket`.
    pub method: &'static str,
    /// Who may call it; the use case narrows each to its scope.
    pub roles: &'static [Role],
}

/// Returns the rule that `roles` may call `method`.
#[must_use]
pub const fn rule(method: &'static str, roles: &'static [Role]) -> Rule {
    Rule { method, roles }
}

/// Every role of the town's own staff (not residents, not reviewers, not
/// services).
pub const STAFF: &[Role] = &[
    Role::TownOperator,
    Role::WorkstationStaff,
    Role::MicroGridLeader,
    Role::Member,
    Role::DepartmentOfficer,
];

/// The rules of a service's RPCs do not match what it serves.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("{service} has no authorisation rule for {method}: every RPC needs one")]
    Missing { service: String, method: String },
    #[error("{service} has a rule for {method}, which it does not serve")]
    Unknown { service: String, method: String },
    #[error("{service} has two rules for {method}")]
    Twice { service: String, method: String },
    #[error("{service} is not in the descriptor set")]
    NoService { service: String },
}

/// One service's rules, checked against the RPCs it serves.
#[derive(Debug, Clone)]
pub struct Policy {
    service: String,
    /// Path (`/pkg.Service/Method`) → the roles that may call it.
    rules: HashMap<String, &'static [Role]>,
    /// The RPCs in the order the contract lists them.
    methods: Vec<String>,
}

impl Policy {
    /// Returns the policy of `service` (e.g. `weigrid.points.v1.PointsService`)
    /// from `rules`, which must name every RPC `service` has in the encoded
    /// `file_descriptor_set` exactly once, and nothing else.
    ///
    /// # Errors
    /// The first RPC without a rule, rule without an RPC, or rule given twice.
    pub fn new(
        service: &str,
        rules: &'static [Rule],
        file_descriptor_set: &[u8],
    ) -> Result<Self, PolicyError> {
        let methods =
            methods_of(service, file_descriptor_set).ok_or_else(|| PolicyError::NoService {
                service: service.to_owned(),
            })?;
        let mut by_path = HashMap::new();
        for rule in rules {
            if !methods.iter().any(|m| m == rule.method) {
                return Err(PolicyError::Unknown {
                    service: service.to_owned(),
                    method: rule.method.to_owned(),
                });
            }
            if by_path
                .insert(format!("/{service}/{}", rule.method), rule.roles)
                .is_some()
            {
                return Err(PolicyError::Twice {
                    service: service.to_owned(),
                    method: rule.method.to_owned(),
                });
            }
        }
        if let Some(method) = methods
            .iter()
            .find(|m| !by_path.contains_key(&format!("/{service}/{m}")))
        {
            return Err(PolicyError::Missing {
                service: service.to_owned(),
                method: method.clone(),
            });
        }
        Ok(Self {
            service: service.to_owned(),
            rules: by_path,
            methods,
        })
    }

    /// Returns a policy deciding nothing, for tests of the layer around it.
    #[cfg(test)]
    pub(crate) fn deciding_nothing() -> Self {
        Self {
            service: String::new(),
            rules: HashMap::new(),
            methods: Vec::new(),
        }
    }

    /// Returns the service the policy is for.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Returns the RPCs, in the contract's order.
    pub fn methods(&self) -> &[String] {
        &self.methods
    }

    /// Returns whether `role` may call `method` (the RPC's name).
    pub fn allows(&self, method: &str, role: Role) -> bool {
        self.rules
            .get(&format!("/{}/{method}", self.service))
            .is_some_and(|roles| roles.contains(&role))
    }

    /// Checks the call to `path` by `caller`. A path of another service
    /// (health, reflection, or none at all) is not this policy's to decide.
    ///
    /// # Errors
    /// PERMISSION_DENIED naming the role, the RPC and who may call it,
    /// with [`REFUSED_BY_POLICY`] set.
    #[allow(clippy::result_large_err)]
    pub fn check(&self, path: &str, caller: &Caller) -> Result<(), tonic::Status> {
        let Some(roles) = self.rules.get(path) else {
            return Ok(());
        };
        if roles.contains(&caller.role) {
            return Ok(());
        }
        let method = path.rsplit('/').next().unwrap_or(path);
        let allowed = if roles.is_empty() {
            "nobody".to_owned()
        } else {
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut status = tonic::Status::permission_denied(format!(
            "无权调用 / not allowed: the {} role may not call {method} (allowed: {allowed})",
            caller.role
        ));
        if let Ok(value) = method.parse() {
            status.metadata_mut().insert(REFUSED_BY_POLICY, value);
        }
        Err(status)
    }

    /// Returns the matrix as a Markdown table: one row per RPC, one column
    /// per role, `✓` where the role may call it.
    pub fn matrix(&self) -> String {
        let mut out = String::from("| RPC |");
        for role in Role::ALL {
            let _ = write!(out, " {} |", role.as_str());
        }
        out.push_str("\n| --- |");
        for _ in Role::ALL {
            out.push_str(" :-: |");
        }
        out.push('\n');
        for method in &self.methods {
            let _ = write!(out, "| {method} |");
            for role in Role::ALL {
                out.push_str(if self.allows(method, role) {
                    " ✓ |"
                } else {
                    "   |"
                });
            }
            out.push('\n');
        }
        out
    }
}

/// Returns the RPC names of `service` in `file_descriptor_set`.
fn methods_of(service: &str, file_descriptor_set: &[u8]) -> Option<Vec<String>> {
    let set = prost_types::FileDescriptorSet::decode(file_descriptor_set).ok()?;
    set.file.into_iter().find_map(|file| {
        let package = file.package.clone().unwrap_or_default();
        file.service
            .into_iter()
            .find(|s| format!("{package}.{}", s.name()) == service)
            .map(|s| s.method.iter().map(|m| m.name().to_owned()).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The health contract: one service with two RPCs, Check and Watch.
    const HEALTH: &str = "grpc.health.v1.Health";

    fn caller(role: Role) -> Caller {
        let mut caller = Caller::service("someone", "");
        caller.role = role;
        caller
    }

    #[test]
    fn every_rpc_needs_exactly_one_rule() {
        static ONE: [Rule; 1] = [rule("Check", &[Role::TownOperator])];
        let missing = Policy::new(HEALTH, &ONE, tonic_health::pb::FILE_DESCRIPTOR_SET);
        assert_eq!(
            missing.unwrap_err(),
            PolicyError::Missing {
                service: HEALTH.into(),
                method: "Watch".into()
            }
        );
        static EXTRA: [Rule; 3] = [
            rule("Check", &[]),
            rule("Watch", &[]),
            rule("Delete", &[Role::TownOperator]),
        ];
        let unknown = Policy::new(HEALTH, &EXTRA, tonic_health::pb::FILE_DESCRIPTOR_SET);
        assert!(matches!(unknown, Err(PolicyError::Unknown { method, .. }) if method == "Delete"));
        static TWICE: [Rule; 3] = [rule("Check", &[]), rule("Watch", &[]), rule("Check", &[])];
        let twice = Policy::new(HEALTH, &TWICE, tonic_health::pb::FILE_DESCRIPTOR_SET);
        assert!(matches!(twice, Err(PolicyError::Twice { method, .. }) if method == "Check"));
        assert!(matches!(
            Policy::new("x.Nothing", &ONE, tonic_health::pb::FILE_DESCRIPTOR_SET),
            Err(PolicyError::NoService { .. })
        ));
    }

    #[test]
    fn a_role_without_a_rule_is_refused_naming_who_may() {
        static RULES: [Rule; 2] = [
            rule("Check", &[Role::TownOperator, Role::Service]),
            rule("Watch", &[]),
        ];
        let policy = Policy::new(HEALTH, &RULES, tonic_health::pb::FILE_DESCRIPTOR_SET).unwrap();
        let path = "/grpc.health.v1.Health/Check";
        assert!(policy.check(path, &caller(Role::TownOperator)).is_ok());
        let refused = policy.check(path, &caller(Role::Resident)).unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
        assert!(
            refused
                .message()
                .contains("resident role may not call Check")
        );
        assert!(refused.message().contains("town_operator, service"));
        assert_eq!(refused.metadata().get(REFUSED_BY_POLICY).unwrap(), "Check");
        let nobody = policy
            .check("/grpc.health.v1.Health/Watch", &caller(Role::TownOperator))
            .unwrap_err();
        assert!(nobody.message().contains("allowed: nobody"));
        assert!(
            policy
                .check("/other.Service/Any", &caller(Role::Resident))
                .is_ok()
        );
        let matrix = policy.matrix();
        assert!(matrix.contains("| Check | ✓ |"), "{matrix}");
        assert_eq!(matrix.lines().count(), 4);
    }
}
