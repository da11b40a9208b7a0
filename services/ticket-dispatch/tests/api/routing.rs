//! Routing by what the case is: the category decides the safety domain and
//! the duties in its chain that handle it, so the cases the police pass on
//! as non-police 110 calls go to the town's units, not back to the police.

use proto::dispatch::v1 as pb;
use sqlx::PgPool;

use ticket_dispatch::testing::*;

/// Returns a non-police 110 case of `category` at V1-A1-M01, under the
/// call's `reference`.
fn non_police_110(reference: &str, category: &str) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        channel: pb::Channel::NonPolice110.into(),
        external_ref: reference.into(),
        category_code: category.into(),
        title: "非警务警情".into(),
        description: "110 转来".into(),
        location: Some(pb::LatLng {
            lat: 30.02,
            lng: 121.02,
        }),
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn routing_a_non_police_110_neighbour_dispute_is_not_sent_to_the_police(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;

    // The police regulate the domain (social stability); the neighbour
    // dispute goes to its mediators, the judicial office.
    let dispute = desk
        .create_ticket(non_police_110("110-2026-0001", "NEIGHBOUR_DISPUTE"))
        .await;
    let dispatched = desk.dispatch(&dispute).await;
    let unit = dispatched.assignee.unwrap();
    assert_eq!(
        (unit.kind.as_str(), unit.code.as_str()),
        ("DEPARTMENT", "JUDICIAL_OFFICE")
    );

    // A lost item and a scraped car are the village's.
    for (reference, category) in [
        ("110-2026-0002", "LOST_ITEM"),
        ("110-2026-0003", "VEHICLE_SCRAPE"),
    ] {
        let ticket = desk
            .create_ticket(non_police_110(reference, category))
            .await;
        let unit = desk.dispatch(&ticket).await.assignee.unwrap();
        assert_eq!(
            (unit.kind.as_str(), unit.code.as_str()),
            ("WORKSTATION", "V1"),
            "{category}"
        );
    }

    // The categories say so, for anyone who reads them.
    let categories = desk.categories().await;
    let handled_by = |code: &str| {
        categories
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.handled_by.clone())
            .unwrap()
    };
    assert_eq!(
        handled_by("NEIGHBOUR_DISPUTE"),
        ["CO_MANAGEMENT", "WORKSTATION", "MICRO_GRID_LEADER"]
    );
    assert_eq!(
        handled_by("SANITATION"),
        [
            "REGULATOR",
            "CO_MANAGEMENT",
            "WORKSTATION",
            "MICRO_GRID_LEADER"
        ]
    );
    test.cleanup().await;
}
