//! Order statistics of timings: medians of cold starts, p50/p99 of warm invocations.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Percentiles of a set of samples, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// The median.
    pub p50: f64,
    /// The 90th percentile.
    pub p90: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The smallest sample.
    pub min: f64,
}

impl Summary {
    /// The summary of `samples` (nearest-rank percentiles); all zero when empty.
    pub fn of(samples: &[Duration]) -> Summary {
        let ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        Summary::of_ms(ms)
    }

    /// The summary of samples already in milliseconds (which may be negative: the
    /// paired differences of a function and its floor); all zero when empty.
    pub fn of_ms(mut ms: Vec<f64>) -> Summary {
        ms.sort_by(f64::total_cmp);
        let rank = |p: f64| -> f64 {
            if ms.is_empty() {
                return 0.0;
            }
            // Nearest rank: the smallest sample with at least p% of samples at or below it.
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let index = ((p / 100.0) * ms.len() as f64).ceil() as usize;
            ms[index.clamp(1, ms.len()) - 1]
        };
        Summary {
            count: ms.len(),
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            min: ms.first().copied().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let summary = Summary::of(&samples);
        assert_eq!(summary.count, 100);
        assert!((summary.p50 - 50.0).abs() < 1e-9);
        assert!((summary.p99 - 99.0).abs() < 1e-9);
        assert!((summary.min - 1.0).abs() < 1e-9);
        assert_eq!(Summary::of(&[]).count, 0);
    }

    #[test]
    fn the_median_of_paired_differences_is_not_the_difference_of_medians() {
        // Function and floor move together: the differences are all 0.1 ms, though the
        // medians of the two columns differ by 1 ms.
        let function = [1.1, 1.2, 3.1, 3.2, 3.3];
        let floor = [1.0, 1.1, 3.0, 3.1, 3.2];
        let differences: Vec<f64> = function.iter().zip(floor).map(|(a, b)| a - b).collect();
        assert!((Summary::of_ms(differences).p50 - 0.1).abs() < 1e-9);
        let negative = Summary::of_ms(vec![-0.2, 0.1, 0.3]);
        assert!((negative.min + 0.2).abs() < 1e-9);
    }
}
