//! The video-ingest binary: `video-ingest` serves gRPC and SIP;
//! `video-ingest migrate` applies the migrations and exits;
//! `video-ingest probe [URL]` asks whether it is ready;
//! `video-ingest --check-config` validates the configuration.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::process::main::<video_ingest::App>().await
}
