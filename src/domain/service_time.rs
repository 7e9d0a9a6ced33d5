//! The expected service time of a service, for wait estimates: the configured `service_min`
//! as a prior, weighed in with today's observed service times.
//!
//! Before (issue 13), the first service time seen replaced the configured value outright, so
//! two quick clicks of *Tiếp theo* (a ticket called and finished a second later) made every
//! estimate of the service "under a minute" for the rest of the day. Now:
//!
//! - a service time under [`MIN_SERVICE_S`] is a skip, not a service, and is ignored;
//! - the prior counts as [`PRIOR_WEIGHT`] observations: after `n` observations the estimate
//!   is `(PRIOR_WEIGHT · prior + Σ observations) / (PRIOR_WEIGHT + n)`, so one odd visit
//!   moves it by a sixth of the difference;
//! - once the newest observation's share would fall below [`RECENT_WEIGHT`], it stays there:
//!   a decaying average of about the last `1 / RECENT_WEIGHT` services, which follows a
//!   service that speeds up or slows down during the day.

/// Service times shorter than this (seconds) are skips and do not count.
pub const MIN_SERVICE_S: f64 = 10.0;
/// How many observations the configured value is worth.
pub const PRIOR_WEIGHT: f64 = 5.0;
/// The least weight of the newest observation (the decaying average's).
pub const RECENT_WEIGHT: f64 = 0.05;

/// A service's expected service time and how many observations it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceTime {
    /// Expected seconds per citizen.
    pub avg_s: f64,
    /// Observations weighed in so far (skips excluded).
    pub samples: u32,
}

impl ServiceTime {
    /// Before any observation: the configured value.
    pub fn prior(prior_s: f64) -> ServiceTime {
        ServiceTime {
            avg_s: prior_s,
            samples: 0,
        }
    }

    /// Weighs in one observed service time (seconds); skips are ignored.
    pub fn observe(&mut self, secs: f64) {
        if secs.is_nan() || secs < MIN_SERVICE_S {
            return; // a skip (or not a number)
        }
        self.samples = self.samples.saturating_add(1);
        let weight = (1.0 / (PRIOR_WEIGHT + f64::from(self.samples))).max(RECENT_WEIGHT);
        self.avg_s += (secs - self.avg_s) * weight;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The regression of issue 13: two quick clicks must not make "under a minute" of a
    /// 5-minute service; one real 60 s visit moves 300 s by a sixth of the difference.
    #[test]
    fn quick_clicks_are_ignored_and_the_prior_is_weighed_in() {
        let mut t = ServiceTime::prior(300.0);
        t.observe(1.0);
        t.observe(2.0);
        assert_eq!(t, ServiceTime::prior(300.0), "skips change nothing");
        t.observe(60.0);
        assert!((t.avg_s - 260.0).abs() < 1e-9, "{t:?}");
        assert_eq!(t.samples, 1);
    }

    #[test]
    fn observations_take_over_and_recent_ones_keep_counting() {
        let mut t = ServiceTime::prior(300.0);
        for _ in 0..200 {
            t.observe(120.0);
        }
        assert!((t.avg_s - 120.0).abs() < 1.0, "{t:?}");
        // The service slows down: the estimate follows within a few dozen visits.
        for _ in 0..60 {
            t.observe(600.0);
        }
        assert!(t.avg_s > 500.0, "{t:?}");
    }

    proptest! {
        /// The estimate stays between the smallest and the largest of the prior and the
        /// counted observations, and equals the weighted mean while it is one.
        #[test]
        fn the_estimate_stays_within_what_it_has_seen(
            prior in 60.0f64..3600.0,
            obs in proptest::collection::vec(0.0f64..7200.0, 0..60),
        ) {
            let mut t = ServiceTime::prior(prior);
            let (mut lo, mut hi) = (prior, prior);
            let mut counted = Vec::new();
            for &o in &obs {
                t.observe(o);
                if o >= MIN_SERVICE_S {
                    counted.push(o);
                    lo = lo.min(o);
                    hi = hi.max(o);
                }
                prop_assert!(t.avg_s >= lo - 1e-6 && t.avg_s <= hi + 1e-6, "{t:?} not in [{lo}, {hi}]");
            }
            prop_assert_eq!(t.samples as usize, counted.len());
            let n = counted.len() as f64;
            if 1.0 / (PRIOR_WEIGHT + n) >= RECENT_WEIGHT {
                let mean = (PRIOR_WEIGHT * prior + counted.iter().sum::<f64>()) / (PRIOR_WEIGHT + n);
                prop_assert!((t.avg_s - mean).abs() < 1e-6 * mean.max(1.0), "{} vs {}", t.avg_s, mean);
            }
        }
    }
}
