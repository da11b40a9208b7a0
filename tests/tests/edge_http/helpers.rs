//! The edge served over HTTP in front of real points and dispatch (with a
//! registry), each from its test kit, on one NATS prefix, and video ingest
//! (with a registry of its own, on a database of its own); photos in a
//! temporary directory; sign-in through the local stand-in for WeChat. Tests
//! speak HTTP only, as the mini-program and Open311 clients do.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use edge::config::{DEFAULTS, EdgeConfig};
use edge::photos::Photos;
use edge::wechat::LocalStandIn;
use platform::testing::ScratchDatabase;
use points::testing::TestPoints;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use ticket_dispatch::testing::TestDispatch;
use tokio::sync::oneshot;
use video_ingest::testing::TestVideo;

/// The Open311 key of the tests (the development default).
pub const API_KEY: &str = "weigrid-open311-development-key";

/// A PNG's signature and the start of its header chunk: enough for the
/// edge to know it as PNG.
pub fn png(size: usize) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    bytes.resize(size.max(bytes.len()), 7);
    bytes
}

/// The edge with its neighbours, for one test.
pub struct TestEdge {
    pub addr: SocketAddr,
    pub points: TestPoints,
    pub dispatch: TestDispatch,
    pub video: TestVideo,
    video_db: ScratchDatabase,
    pub photo_dir: PathBuf,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

/// An HTTP answer: status and JSON body (`Value::Null` when not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// Returns the fields the error body names.
    pub fn fields(&self) -> Vec<String> {
        self.body["error"]["fields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(|f| f["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestEdge {
    /// Serves points over `pool`, dispatch and a registry beside it, and
    /// the edge in front of them.
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, &[]).await
    }

    /// Serves as [`TestEdge::spawn`] does with edge configuration
    /// `overrides` (`WEIGRID_EDGE__…` keys without the prefix).
    pub async fn spawn_with(pool: PgPool, overrides: &[(&str, String)]) -> Self {
        platform::telemetry::init_for_tests();
        let points = TestPoints::spawn(pool).await;
        let dispatch = TestDispatch::spawn_beside(&points.config.service.nats.prefix).await;
        Self::serve(points, dispatch, overrides).await
    }

    /// Serves the edge in front of `points` and `dispatch` (with its
    /// registry), with edge configuration `overrides`.
    pub async fn serve(
        points: TestPoints,
        dispatch: TestDispatch,
        overrides: &[(&str, String)],
    ) -> Self {
        let registry = dispatch
            .registry
            .as_ref()
            .expect("a registry beside dispatch")
            .addr;
        let video_db = ScratchDatabase::create("video").await;
        let video = TestVideo::spawn(video_db.pool.clone()).await;
        let photo_dir = std::env::temp_dir().join(format!("edge-photos-{}", uuid::Uuid::now_v7()));
        let mut settings: Vec<(&str, String)> = vec![
            ("AUTH__MODE", "dev".into()),
            ("HTTP__LISTEN", "127.0.0.1:0".into()),
            ("METRICS__ENABLED", "false".into()),
            (
                "CLIENTS__POINTS__ENDPOINT",
                format!("http://{}", points.addr),
            ),
            (
                "CLIENTS__DISPATCH__ENDPOINT",
                format!("http://{}", dispatch.addr),
            ),
            ("CLIENTS__REGISTRY__ENDPOINT", format!("http://{registry}")),
            ("CLIENTS__VIDEO__ENDPOINT", format!("http://{}", video.addr)),
            ("PHOTOS__LOCAL_DIR", photo_dir.display().to_string()),
        ];
        settings.extend_from_slice(overrides);
        let env: HashMap<String, String> = settings
            .into_iter()
            .map(|(k, v)| (format!("WEIGRID_EDGE__{k}"), v))
            .collect();
        let config: EdgeConfig = platform::config::load_from("edge", DEFAULTS, &env)
            .expect("the test configuration is valid");
        let photos = Photos::from_config(&config.photos).expect("a photo directory");
        let app = edge::App::from_parts(config, Arc::new(LocalStandIn), photos)
            .await
            .expect("the edge starts");
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            points,
            dispatch,
            video,
            video_db,
            photo_dir,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
            stop: Some(stop),
        }
    }

    /// Returns the URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends `request` and reads the answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the edge answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    /// Returns a request of `method` to `path`, with `token` if given.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// GETs `path` as `token`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(self.request(Method::GET, path, token)).await
    }

    /// POSTs `body` as JSON to `path` as `token`, with an idempotency key.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(
            self.request(Method::POST, path, token)
                .header("idempotency-key", uuid::Uuid::now_v7().to_string())
                .json(&body),
        )
        .await
    }

    /// Uploads `content` as the photo of a multipart form.
    pub async fn upload(&self, token: &str, content: Vec<u8>) -> Answer {
        let part = reqwest::multipart::Part::bytes(content)
            .file_name("photo.png")
            .mime_str("application/octet-stream")
            .expect("a valid type");
        let form = reqwest::multipart::Form::new().part("photo", part);
        self.send(
            self.request(Method::POST, "/api/v1/photos", Some(token))
                .multipart(form),
        )
        .await
    }

    /// POSTs form `fields` to an Open311 `path`.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.send(self.http.post(self.url(path)).form(fields)).await
    }

    /// Registers the villager `name` of the test village through the
    /// mini-program API and returns their session token.
    pub async fn register(&self, name: &str, phone: &str) -> String {
        let answer = self
            .post(
                "/api/v1/residents",
                None,
                json!({
                    "login_code": format!("local:{name}"),
                    "name": "张三",
                    "phone": phone,
                    "village_code": points::testing::VILLAGE,
                }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        answer.body["token"].as_str().expect("a token").to_owned()
    }

    /// Signs a staff member in to the console through the development
    /// sign-in as `role` within `scope` and returns their cookie.
    pub async fn staff(&self, role: &str, scope: &str) -> String {
        let response = self
            .http
            .post(self.url("/console/api/session/dev"))
            .json(&json!({"role": role, "scope": scope, "name": role}))
            .send()
            .await
            .expect("the edge answers");
        assert_eq!(response.status(), StatusCode::OK, "the development sign-in");
        let set = response
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("the sign-in sets the console's cookie");
        set.split(';').next().expect("name=value").to_owned()
    }

    /// Returns a console request of `method` to `path` with the staff
    /// `cookie` (and, for a change, the console's header and a key).
    pub fn console(&self, method: Method, path: &str, cookie: &str) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method.clone(), self.url(path))
            .header(reqwest::header::COOKIE, cookie);
        if method == Method::GET {
            request
        } else {
            request
                .header("x-requested-with", "weigrid-console")
                .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        }
    }

    /// GETs the console's `path` as `cookie`.
    pub async fn get_console(&self, cookie: &str, path: &str) -> Answer {
        self.send(self.console(Method::GET, path, cookie)).await
    }

    /// Makes the console move `body` on ticket `number` as `cookie`.
    pub async fn console_move(&self, cookie: &str, number: &str, body: Value) -> Answer {
        self.send(
            self.console(
                Method::POST,
                &format!("/console/api/tickets/{number}/moves"),
                cookie,
            )
            .json(&body),
        )
        .await
    }

    /// Returns how many files the photo store holds.
    pub fn stored_photos(&self) -> usize {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| {
                            let path = e.path();
                            if path.is_dir() { count(&path) } else { 1 }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        count(&self.photo_dir)
    }

    /// Stops the edge and its neighbours and drops their databases.
    pub async fn cleanup(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = std::fs::remove_dir_all(&self.photo_dir);
        self.points.cleanup().await;
        self.dispatch.cleanup().await;
        self.video.cleanup().await;
        self.video_db.drop_database().await;
    }
}
