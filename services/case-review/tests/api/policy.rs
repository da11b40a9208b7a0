//! The role matrix: every RPC served (as reflection lists it) has a rule,
//! and every cell — each RPC called as each role — is refused exactly
//! where the rule says. The matrix is the one docs/authorization.md shows.

use case_review::testing::*;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn every_review_rpc_has_a_rule_and_every_cell_holds(pool: PgPool) {
    let test = TestReview::spawn(pool).await;
    let matrix = test.assert_policy().await;
    let doc = include_str!("../../../../docs/authorization.md");
    assert!(
        doc.contains(&matrix),
        "docs/authorization.md shows case review's matrix as it is:\n{matrix}"
    );
    test.cleanup().await;
}
