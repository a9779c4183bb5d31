//! Timing listings: the list function's own store code (`BookStore::list`)
//! against DynamoDB Local, repeated, with what each page cost.

use bookshelf::store::{BookStore, ListQuery, PageCost};
use std::time::Instant;

/// Repeated timings of one listing, and its average cost.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Milliseconds, sorted.
    pub millis: Vec<f64>,
    /// Average Query requests a page.
    pub queries: f64,
    /// Average read units a page.
    pub read_units: f64,
}

impl Timing {
    /// The `p`-th percentile (nearest rank).
    pub fn percentile(&self, p: f64) -> f64 {
        if self.millis.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.millis.len() as f64).ceil() as usize;
        self.millis[rank.clamp(1, self.millis.len()) - 1]
    }
}

/// Lists `query` `reps` times (after 5 unmeasured), sequentially.
///
/// # Errors
/// A store error.
pub async fn time(
    store: &BookStore,
    query: &ListQuery,
    reps: usize,
) -> Result<Timing, bookshelf::store::StoreError> {
    for _ in 0..5 {
        store.list(query).await?;
    }
    let mut millis = Vec::with_capacity(reps);
    let mut total = PageCost::default();
    for _ in 0..reps {
        let started = Instant::now();
        let page = store.list(query).await?;
        millis.push(started.elapsed().as_secs_f64() * 1_000.0);
        total.queries += page.cost.queries;
        total.read_units += page.cost.read_units;
    }
    millis.sort_by(f64::total_cmp);
    let reps = reps.max(1) as f64;
    Ok(Timing {
        millis,
        queries: f64::from(total.queries) / reps,
        read_units: total.read_units / reps,
    })
}
