//! `weigrid token`: the bearer token the other commands send.

use crate::connect::Identity;

/// Prints the bearer token for `identity`, whatever the output format (it
/// goes straight into `authorization: Bearer …`).
///
/// # Errors
/// None today; fallible like every command.
pub fn execute(identity: &Identity) -> anyhow::Result<()> {
    println!("{}", identity.bearer());
    Ok(())
}

#[cfg(test)]
mod tests {
    use platform::auth::Role;

    #[test]
    fn a_token_is_minted_for_the_role_and_scope_given() {
        let cli =
            crate::cli::parse("weigrid token --role workstation_staff --scope LX-V02").unwrap();
        let identity = cli.identity().unwrap();
        assert_eq!(identity.role, Role::WorkstationStaff);
        assert_eq!(identity.scope.as_deref(), Some("LX-V02"));
        assert_eq!(identity.bearer().split('.').count(), 3, "a JWT");
    }
}
