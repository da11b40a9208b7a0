//! The role matrix of the local API: every RPC served (as reflection lists
//! it) has a rule, and every cell — each RPC called as each role — is
//! refused exactly where the rule says. The matrix is the one
//! docs/authorization.md shows.

use case_exchange::testing::*;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn every_exchange_rpc_has_a_rule_and_every_cell_holds(pool: PgPool) {
    let federation = Federation::start(pool).await;
    let matrix = federation.nodes[LANGXIA].assert_policy().await;
    federation.cleanup().await;
    let doc = include_str!("../../../../docs/authorization.md");
    assert!(
        doc.contains(&matrix),
        "docs/authorization.md shows case-exchange's matrix as it is:\n{matrix}"
    );
}
