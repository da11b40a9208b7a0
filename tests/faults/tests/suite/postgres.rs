//! A PostgreSQL server of the suite's own: initdb into a fresh data
//! directory under the build's target directory, started with pg_ctl on a
//! free port, restarted without warning (`pg_ctl restart -m immediate`, a
//! crash and recovery) and stopped at the end. The shared server on 5432 is
//! never touched. As `scripts/services.sh` does, the server runs as the OS
//! user `postgres` when the suite runs as root (initdb refuses root).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};
use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, PgPool};

/// A private server: its binaries, data directory and port.
pub struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    /// The OS user the server runs as when the suite is root.
    owner: Option<String>,
}

/// Returns the newest `/usr/lib/postgresql/<major>/bin` holding initdb and
/// pg_ctl (`WEIGRID_PG_BIN` overrides it).
fn server_binaries() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("WEIGRID_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("no /usr/lib/postgresql: install the postgresql package")?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((major, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .context("no initdb and pg_ctl under /usr/lib/postgresql/*/bin")
}

/// Returns the build's target directory: the ancestor of the running test
/// executable that holds its profile directory (`target/debug/deps/x`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its executable");
    exe.ancestors()
        .find(|dir| {
            dir.file_name()
                .is_some_and(|name| name == "debug" || name == "release")
        })
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl PrivatePostgres {
    /// Creates a data directory under `target/faults/` and starts a server
    /// on a free loopback port, accepting user `postgres` without a
    /// password.
    ///
    /// # Errors
    /// No server binaries, or initdb or pg_ctl fail.
    pub async fn start() -> anyhow::Result<Self> {
        let bin = server_binaries()?;
        let owner = is_root().then(|| "postgres".to_owned());
        // The socket lives in the data directory, whose path must stay
        // within the ~107 bytes of a socket address.
        let mut base = target_dir().join("faults");
        if base.as_os_str().len() > 60 {
            base = std::env::temp_dir().join("weigrid-faults");
        }
        std::fs::create_dir_all(&base).context("creating target/faults")?;
        let data = base.join(format!(
            "pg-{}",
            &uuid::Uuid::now_v7().simple().to_string()[..12]
        ));
        std::fs::create_dir_all(&data)?;
        let server = Self {
            bin,
            data,
            port: platform::testing::free_port(),
            owner,
        };
        if let Some(owner) = &server.owner {
            run(Command::new("chown")
                .arg(format!("{owner}:"))
                .arg(&server.data))?;
        }
        run(Command::new("chmod").arg("700").arg(&server.data))?;
        server.pg(
            "initdb",
            &[
                "-D",
                &server.data_str(),
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )?;
        server.ctl("start")?;
        Ok(server)
    }

    fn data_str(&self) -> String {
        self.data.display().to_string()
    }

    /// Runs one of the server's programs as the server's owner.
    fn pg(&self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let path = self.bin.join(program);
        let mut command = match &self.owner {
            Some(owner) => {
                let mut c = Command::new("runuser");
                c.args(["-u", owner, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        command.args(args).current_dir("/");
        run(&mut command).with_context(|| format!("{program} {}", args.join(" ")))
    }

    /// `pg_ctl <verb>` with the suite's options, waiting for it to finish.
    fn ctl(&self, verb: &str) -> anyhow::Result<()> {
        let log = self.data.join("server.log").display().to_string();
        // A small server: the suite's three services and its counts.
        let options = format!(
            "-p {} -h 127.0.0.1 -k {} -c max_connections=120 -c fsync=on",
            self.port,
            self.data_str()
        );
        let data = self.data_str();
        let mut args = vec![
            "-D", &data, "-l", &log, "-w", "-t", "60", "-o", &options, verb,
        ];
        if verb == "restart" {
            args.extend(["-m", "immediate"]);
        }
        self.pg("pg_ctl", &args)
    }

    /// Restarts the server without a checkpoint (`-m immediate`): every
    /// connection is cut and the server recovers from its WAL, as after a
    /// crash.
    ///
    /// # Errors
    /// pg_ctl fails.
    pub fn restart_immediate(&self) -> anyhow::Result<()> {
        self.ctl("restart")
    }

    /// Returns the URL of `database` on the server.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates `database` and returns a small pool on it, for counting.
    ///
    /// # Errors
    /// The server refuses.
    pub async fn create_database(&self, database: &str) -> anyhow::Result<PgPool> {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&self.url("postgres"))
            .await
            .context("connecting to the private PostgreSQL")?;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{database}\"")))
            .execute(&admin)
            .await?;
        admin.close().await;
        Ok(PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy(&self.url(database))?)
    }

    /// Stops the server and removes its data directory.
    pub fn stop(&self) {
        let data = self.data_str();
        let _ = self.pg("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let out = command.output().context("starting the command")?;
    if !out.status.success() {
        bail!(
            "{}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}
