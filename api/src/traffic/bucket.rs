//! The leaky bucket every caller's budget is, as Shopify's GraphQL Admin API keeps one per app:
//! it holds up to `capacity` points, refills at `restore_rate` points a second, and a query may
//! run only if the bucket holds its cost. The arithmetic is here, once; the in-process buckets
//! use it directly, and the Lua script that keeps shared buckets in Redis does the same sums.

use std::time::Duration;

/// A bucket's size and how fast it refills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The most points the bucket holds, and so the most one query may cost.
    pub capacity: f64,
    /// Points restored a second.
    pub restore_rate: f64,
}

/// What a bucket holds at an instant (milliseconds on the clock of whoever keeps it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    pub available: f64,
    pub at_ms: u64,
}

/// Where a caller's bucket stands: what Shopify calls the `throttleStatus`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    pub limits: Limits,
    /// Points in the bucket now, after this request's cost.
    pub available: f64,
}

impl Standing {
    /// A full bucket: the standing of a caller never seen.
    pub fn full(limits: Limits) -> Self {
        Self {
            limits,
            available: limits.capacity,
        }
    }

    /// How long until the bucket is full again.
    pub fn until_full(&self) -> Duration {
        self.until(self.limits.capacity)
    }

    /// How long until the bucket holds `points` (zero when it does already).
    pub fn until(&self, points: f64) -> Duration {
        let missing = (points - self.available).max(0.0);
        Duration::from_secs_f64(missing / self.limits.restore_rate.max(f64::MIN_POSITIVE))
    }

    /// The standing once `points` more are in the bucket, as far as it holds them.
    pub fn with(self, points: f64) -> Self {
        Self {
            available: (self.available + points).min(self.limits.capacity),
            ..self
        }
    }
}

/// What the bucket said to a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    /// The cost is taken; the standing is after it.
    Granted(Standing),
    /// The bucket does not hold the cost; nothing is taken.
    Refused(Standing),
}

impl Decision {
    pub fn standing(&self) -> Standing {
        match self {
            Self::Granted(standing) | Self::Refused(standing) => *standing,
        }
    }
}

/// How a cost is taken from a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taking {
    /// Only if the bucket holds it; otherwise nothing is taken.
    IfHeld,
    /// Whatever the bucket holds, even into debt: for work already done that cost more than it
    /// was priced at. A bucket in debt refills like any other, from below zero.
    Regardless,
}

/// Takes `cost` points from the bucket at `level` (`None`: full) at `now_ms`, or refuses if it
/// does not hold them and `taking` is [`Taking::IfHeld`]; a negative cost gives points back.
/// Returns the decision and the level to keep.
pub fn take(
    level: Option<Level>,
    limits: Limits,
    cost: f64,
    taking: Taking,
    now_ms: u64,
) -> (Decision, Level) {
    let available = match level {
        None => limits.capacity,
        Some(level) => {
            let elapsed = now_ms.saturating_sub(level.at_ms) as f64 / 1000.0;
            (level.available + elapsed * limits.restore_rate).min(limits.capacity)
        }
    };
    let (decision, available) = if cost > available && taking == Taking::IfHeld {
        (Decision::Refused(Standing { limits, available }), available)
    } else {
        let left = (available - cost).min(limits.capacity);
        (
            Decision::Granted(Standing {
                limits,
                available: left,
            }),
            left,
        )
    };
    (
        decision,
        Level {
            available,
            at_ms: now_ms,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        capacity: 100.0,
        restore_rate: 10.0,
    };

    #[test]
    fn a_new_bucket_is_full_and_pays_until_it_is_empty() {
        let (decision, level) = take(None, LIMITS, 60.0, Taking::IfHeld, 0);
        assert_eq!(decision.standing().available, 40.0);
        assert!(matches!(decision, Decision::Granted(_)));
        let (decision, level) = take(Some(level), LIMITS, 60.0, Taking::IfHeld, 0);
        assert!(matches!(decision, Decision::Refused(_)), "{decision:?}");
        assert_eq!(level.available, 40.0, "a refusal takes nothing");
        assert_eq!(
            decision.standing().until(60.0),
            Duration::from_secs(2),
            "20 points missing at 10 a second"
        );
    }

    #[test]
    fn the_bucket_refills_at_the_restore_rate_up_to_its_capacity() {
        let (_, level) = take(None, LIMITS, 100.0, Taking::IfHeld, 1_000);
        let (decision, _) = take(Some(level), LIMITS, 0.0, Taking::IfHeld, 3_500);
        assert_eq!(decision.standing().available, 25.0);
        let (decision, _) = take(Some(level), LIMITS, 0.0, Taking::IfHeld, 60_000);
        assert_eq!(decision.standing().available, 100.0);
    }

    #[test]
    fn work_that_cost_more_than_priced_puts_the_bucket_into_debt() {
        let (_, level) = take(None, LIMITS, 90.0, Taking::IfHeld, 0);
        let (decision, level) = take(Some(level), LIMITS, 50.0, Taking::Regardless, 0);
        assert_eq!(
            decision,
            Decision::Granted(Standing {
                limits: LIMITS,
                available: -40.0
            })
        );
        // Four seconds to get out of debt, one more for the next 10 points.
        let (decision, _) = take(Some(level), LIMITS, 10.0, Taking::IfHeld, 4_000);
        assert!(matches!(decision, Decision::Refused(_)), "{decision:?}");
        let (decision, _) = take(Some(level), LIMITS, 10.0, Taking::IfHeld, 5_000);
        assert!(matches!(decision, Decision::Granted(_)), "{decision:?}");
    }

    #[test]
    fn points_given_back_never_overfill_the_bucket() {
        let (_, level) = take(None, LIMITS, 30.0, Taking::IfHeld, 0);
        let (decision, level) = take(Some(level), LIMITS, -20.0, Taking::IfHeld, 0);
        assert_eq!(decision.standing().available, 90.0);
        let (decision, _) = take(Some(level), LIMITS, -50.0, Taking::IfHeld, 0);
        assert_eq!(decision.standing().available, 100.0);
    }
}
