//! Measuring calls for the benchmarks: `n` calls with a fixed number in
//! flight, their rate and latency percentiles.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a measurement saw.
pub struct Measured {
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl Measured {
    /// Calls per second.
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at quantile `p` (0–1).
    pub fn pct(&mut self, p: f64) -> Duration {
        self.latencies.sort_unstable();
        let i =
            ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[i]
    }

    /// One printed line: rate, p50 and p99.
    pub fn line(&mut self, what: &str) -> String {
        format!(
            "{what:<44} {:>8.0}/s   p50 {:>8.2} ms   p99 {:>8.2} ms",
            self.rate(),
            self.pct(0.5).as_secs_f64() * 1e3,
            self.pct(0.99).as_secs_f64() * 1e3
        )
    }
}

/// Runs `call(i)` for i in 0..n with `concurrency` calls in flight.
///
/// # Panics
/// A call panics.
pub async fn measure<F, Fut>(concurrency: usize, n: usize, call: F) -> Measured
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (call, next) = (call.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n {
                        return latencies;
                    }
                    let t = Instant::now();
                    call(i).await;
                    latencies.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await.expect("worker joins"));
    }
    Measured {
        elapsed: started.elapsed(),
        latencies,
    }
}

/// Prints one row of the table `make bench` ends with (see
/// `scripts/bench-table.py`): what was measured, weigrid's figure, the
/// baseline's from the same run, their ratio and the aim it is held to.
/// `met` says whether the ratio reaches the aim (`None`: no aim).
pub fn row(path: &str, weigrid: &str, baseline: &str, ratio: f64, aim: &str, met: Option<bool>) {
    let met = match met {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "",
    };
    println!("bench-row\t{path}\t{weigrid}\t{baseline}\t{ratio:.2}\t{aim}\t{met}");
}

/// Returns the settings that decide when a commit is durable, as the
/// server applies them to `pool`'s connections (`synchronous_commit`,
/// `fsync`, `wal_sync_method`, `full_page_writes`), and prints them for the
/// table under `who` — so a benchmark states that weigrid and its baseline
/// commit alike.
///
/// # Errors
/// The database does not answer.
pub async fn durability(pool: &sqlx::PgPool, who: &str) -> Result<String, sqlx::Error> {
    let mut settings = Vec::new();
    for name in [
        "synchronous_commit",
        "fsync",
        "wal_sync_method",
        "full_page_writes",
    ] {
        let value: String = sqlx::query_scalar("SELECT current_setting($1)")
            .bind(name)
            .fetch_one(pool)
            .await?;
        settings.push(format!("{name}={value}"));
    }
    let settings = settings.join(" ");
    println!("bench-durability\t{who}\t{settings}");
    Ok(settings)
}

/// Formats a rate for the table: `1,874/s`.
pub fn per_second(rate: f64) -> String {
    let whole = rate.round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out + "/s"
}
