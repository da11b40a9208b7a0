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
