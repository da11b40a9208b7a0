//! Flow 6 of the seed, through dispatch and case review: a petition
//! involving several departments is taken in as a coordination case, the
//! desk refers it to legal review, a panel is seated (a panel breaking the
//! composition rules and one with a conflicted expert are refused), the
//! experts submit signed opinions, one recommendation consolidates them,
//! the leadership decides (refused before the opinions are in), and
//! dispatch carries the decision out on the ticket: a redispatch to the
//! lead department with a co-handler.

use std::time::Duration;

use case_review::testing::{TestExpert, TestReview};
use platform::error::field_violations;
use platform::testing::eventually;
use proto::dispatch::v1 as dispatch;
use proto::review::v1 as pb;
use sqlx::PgPool;
use ticket_dispatch::testing::{TestDispatch, referral};
use tonic::Code;

/// The rule names of a refused assignment (`rule: why` → `rule`).
fn rules_broken(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    field_violations(status)
        .into_iter()
        .map(|v| {
            v.rule
                .split_once(':')
                .map_or(v.rule.clone(), |(r, _)| r.to_owned())
        })
        .collect()
}

fn unit(code: &str, name: &str) -> pb::Unit {
    pb::Unit {
        kind: "DEPARTMENT".into(),
        code: code.into(),
        name: name.into(),
    }
}

#[sqlx::test(migrations = false)]
async fn flow6_a_petition_is_referred_reviewed_and_its_decision_carried_out_on_the_ticket(
    pool: PgPool,
) {
    // One NATS prefix and one clock for both services, as in the town.
    let prefix = platform::testing::unique_prefix();
    let dispatch = TestDispatch::spawn_beside(&prefix).await;
    let review = TestReview::spawn_on_clock(pool, &prefix, &[], dispatch.clock.clone()).await;
    let desk = dispatch.at_desk().await;

    // A petition about an illegal building on the river: planning, water
    // and urban management all have a part in it.
    let petition = desk
        .create_ticket(dispatch::CreateTicketRequest {
            channel: dispatch::Channel::Hotline12345.into(),
            external_ref: "12345-2026-0600001".into(),
            category_code: "PETITION".into(),
            title: "村民联名信访：河道违法建筑".into(),
            description: "河道旁建材公司违建，涉及规划、水务、城管多个部门".into(),
            reporter_phone: "13912345678".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(petition.state(), dispatch::TicketState::Received);
    let referred = desk
        .refer(referral(
            &petition,
            "拆除河道违法建筑的法律风险与后果",
            &["某建材公司"],
        ))
        .await;
    assert_eq!(referred.state(), dispatch::TicketState::UnderReview);

    // Case review opens a review of it from dispatch's event.
    let opened = review.wait_review_of(&petition.id).await;
    assert_eq!(opened.case_ref, petition.number);
    assert_eq!(opened.kind(), pb::ReviewKind::LegalRisk);
    assert!(opened.major);
    assert_eq!(opened.parties, ["某建材公司"]);

    // The panel: four is even and below the minimum of a major matter; a
    // lawyer who acted for the company has a declared interest.
    let experts = review.five_experts().await;
    let four: Vec<&TestExpert> = experts.iter().take(4).collect();
    let status = review
        .try_assign_panel(&opened.id, &four)
        .await
        .unwrap_err();
    assert_eq!(rules_broken(&status), ["odd_size", "minimum_size"]);
    review.declare(&experts[1], "某建材公司").await;
    let all: Vec<&TestExpert> = experts.iter().collect();
    let status = review.try_assign_panel(&opened.id, &all).await.unwrap_err();
    assert_eq!(rules_broken(&status), ["declared_interest"]);
    let replacement = review.register_expert("律师丙", "LAWFIRM-3", "").await;
    let mut panel = all.clone();
    panel[1] = &replacement;
    let seated = review.assign_panel(&opened.id, &panel).await;
    assert_eq!(seated.panel.len(), 5);

    let decide = pb::DecideReviewRequest {
        idempotency_key: format!("decide-{}", opened.id),
        review_id: opened.id.clone(),
        outcome: pb::Outcome::Adopted.into(),
        reasons: "采纳专家组建议：补正程序后由城管牵头拆除，水务配合".into(),
        redispatch_to: vec![
            unit("URBAN_MANAGEMENT", "城管中队"),
            unit("WATER", "水务站"),
        ],
        close_result: String::new(),
    };
    // No decision before the opinions are in.
    let status = review.try_decide(decide.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");

    let mut opinions = Vec::new();
    for expert in &panel {
        opinions.push(
            review
                .submit_opinion(&opened.id, expert, 1, "程序需补正，拆除风险可控")
                .await,
        );
    }
    let cited: Vec<&pb::Opinion> = opinions.iter().collect();
    let recommendation = review
        .try_open_recommendation(&opened.id, &cited)
        .await
        .unwrap();
    let decided = review.try_decide(decide).await.unwrap();
    assert_eq!(decided.state(), pb::ReviewState::Decided);
    assert_eq!(
        decided.decision.unwrap().recommendation_id,
        recommendation.id
    );

    // Dispatch carries the decision out on the ticket.
    let carried = eventually(
        Duration::from_secs(15),
        "the decision carried out on the ticket",
        || {
            let desk = desk.clone();
            let id = petition.id.clone();
            async move {
                let ticket = desk.ticket(&id).await;
                (ticket.state() == dispatch::TicketState::Dispatched).then_some(ticket)
            }
        },
    )
    .await;
    assert_eq!(carried.assignee.as_ref().unwrap().code, "URBAN_MANAGEMENT");
    let co_handlers: Vec<_> = carried
        .tasks
        .iter()
        .map(|t| t.unit.as_ref().unwrap().code.as_str())
        .collect();
    assert_eq!(co_handlers, ["WATER"]);
    let last = carried.history.last().unwrap();
    assert!(
        last.reason.contains(&opened.id) && last.reason.contains("adopted"),
        "the history names the review and the outcome: {}",
        last.reason
    );
    assert!(carried.due_at.is_some(), "the department's clock runs");

    dispatch.cleanup().await;
    review.cleanup().await;
}
