//! Personal data leaves the registry only masked: no read answers any role
//! with a whole phone or ID number, and no log line carries one.

use std::io::Write;
use std::sync::{Arc, Mutex};

use platform::auth::Role;
use prost::Message;
use proto::registry::v1 as pb;
use proto::registry::v1::find_responsible_request::Target;
use sqlx::PgPool;

use crate::helpers::*;
use crate::objects::point_object;
use crate::responsible::duties;

/// Every log line written while the test runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Returns every phone and ID number the registry holds whole.
async fn personal_data(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar::<_, Option<String>>(
        "SELECT phone FROM members UNION SELECT head_phone FROM covered_objects
         UNION SELECT phone FROM domain_duties UNION SELECT phone FROM care_people
         UNION SELECT id_number FROM care_people",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .flatten()
    .collect()
}

#[sqlx::test(migrations = false)]
async fn no_role_reads_a_whole_phone_or_id_number_and_no_log_carries_one(pool: PgPool) {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    duties(&app).await;
    app.create_object(point_object(
        "ENT-0001",
        pb::ObjectKind::Enterprise,
        30.02,
        121.02,
    ))
    .await;
    app.create_care_person(pb::CreateCarePersonRequest {
        code: "CARE-001".into(),
        micro_grid_code: "V1-A1-M01".into(),
        category: pb::CareCategory::KeyYouth.into(),
        name: "王小明".into(),
        id_number: "11010519491231002X".into(),
        phone: "13912345678".into(),
        ..Default::default()
    })
    .await;
    let whole = personal_data(&pool).await;
    assert_eq!(whole.len(), 6, "{whole:?}");

    for role in Role::ALL {
        let scope = match role {
            Role::WorkstationStaff => Some("V1"),
            Role::MicroGridLeader | Role::Member => Some("V1-A1-M01"),
            _ => None,
        };
        let caller = app.acting_as(role, scope).await;
        let mut answers: Vec<Vec<u8>> = Vec::new();
        let mut keep = |answer: Result<Vec<u8>, tonic::Status>| match answer {
            Ok(bytes) => answers.push(bytes),
            Err(status) => answers.push(status.message().as_bytes().to_vec()),
        };
        keep(
            caller
                .try_list_members(pb::ListMembersRequest {
                    grid_code: "V1-A1-M01".into(),
                    ..Default::default()
                })
                .await
                .map(|m| m.iter().flat_map(Message::encode_to_vec).collect()),
        );
        keep(
            caller
                .try_object("ENT-0001")
                .await
                .map(|o| o.encode_to_vec()),
        );
        keep(
            caller
                .try_list_objects(Default::default())
                .await
                .map(|r| r.encode_to_vec()),
        );
        keep(
            caller
                .try_find_responsible(pb::FindResponsibleRequest {
                    target: Some(Target::ObjectCode("ENT-0001".into())),
                    domain_code: "PRODUCTION_SAFETY".into(),
                })
                .await
                .map(|r| r.encode_to_vec()),
        );
        keep(
            caller
                .try_list_care_people(pb::ListCarePeopleRequest {
                    purpose: "home visit".into(),
                    ..Default::default()
                })
                .await
                .map(|p| p.iter().flat_map(Message::encode_to_vec).collect()),
        );
        keep(
            caller
                .try_export_map(pb::ExportMapRequest {
                    include_all_objects: true,
                    ..Default::default()
                })
                .await
                .map(|m| m.encode_to_vec()),
        );
        for answer in &answers {
            let text = String::from_utf8_lossy(answer);
            for data in &whole {
                assert!(!text.contains(data.as_str()), "{role} read {data} whole");
            }
        }
    }

    let written = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(written.contains("special-care"), "the capture saw the logs");
    for data in &whole {
        assert!(
            !written.contains(data.as_str()),
            "a log line carries {data}"
        );
    }
}
