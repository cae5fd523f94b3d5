//! Guessing credentials: failed sign-ins (a password at `/auth/login`, a client secret at
//! `/oauth/token`) spend from two buckets, kept like every budget ([`Budgets`]): a strict one
//! per credential *and* source address, and a wider one per address. Each failure is answered
//! more slowly than the last; once either bucket is empty, attempts are refused with 429
//! before the credential is even checked, until a point comes back. The strict bucket is keyed
//! on the address too, so that someone guessing from elsewhere cannot lock the real holder
//! out; the address bucket stops one address trying many accounts.

use std::net::IpAddr;
use std::time::Duration;

use super::bucket::Limits;
use super::budgets::Budgets;

/// How many failures the buckets hold, and how fast they forget them.
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimits {
    /// Failures for one credential from one address.
    pub per_credential: Limits,
    /// Failures from one address, whatever the credential.
    pub per_address: Limits,
}

impl AttemptLimits {
    /// `attempts` failures per credential and address, one forgiven every `seconds`; ten times
    /// as many per address, forgiven ten times as fast.
    pub fn new(attempts: u32, seconds: u32) -> Self {
        let per_credential = Limits {
            capacity: f64::from(attempts),
            restore_rate: 1.0 / f64::from(seconds.max(1)),
        };
        Self {
            per_credential,
            per_address: Limits {
                capacity: per_credential.capacity * 10.0,
                restore_rate: per_credential.restore_rate * 10.0,
            },
        }
    }
}

/// How much longer each failure in a row is answered than the one before.
const DELAY_STEP: Duration = Duration::from_millis(200);

/// What a sign-in tries: an account's username or an API client's id.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    Account(&'a str),
    Client(&'a str),
}

/// The attempts of one credential from one address.
pub struct Attempts<'a> {
    budgets: &'a Budgets,
    limits: AttemptLimits,
    address: IpAddr,
    credential_key: String,
    address_key: String,
}

impl<'a> Attempts<'a> {
    pub fn new(
        budgets: &'a Budgets,
        limits: AttemptLimits,
        credential: Credential<'_>,
        address: IpAddr,
    ) -> Self {
        let credential = match credential {
            Credential::Account(username) => format!("account:{username}"),
            Credential::Client(client_id) => format!("client:{client_id}"),
        };
        Self {
            budgets,
            limits,
            address,
            credential_key: format!("attempts:{credential}:{address}"),
            address_key: format!("attempts:address:{address}"),
        }
    }

    /// Where the attempts come from.
    pub fn address(&self) -> IpAddr {
        self.address
    }

    /// `Err` with how long to wait when either bucket holds no attempt now.
    pub async fn allowed(&self) -> Result<(), Duration> {
        let mut wait = Duration::ZERO;
        for (key, limits) in self.buckets() {
            let standing = self.budgets.take(key, limits, 0.0).await.standing();
            wait = wait.max(standing.until(1.0));
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Counts a failed attempt, and says how long to hold its answer back: a step more for
    /// every failure the credential's bucket holds.
    pub async fn failed(&self) -> Duration {
        let mut delay = Duration::ZERO;
        for (key, limits) in self.buckets() {
            let standing = self.budgets.take(key, limits, 1.0).await.standing();
            if key == self.credential_key {
                let failures = (limits.capacity - standing.available).round().max(0.0);
                delay = DELAY_STEP.mul_f64(failures);
            }
        }
        delay
    }

    fn buckets(&self) -> [(&str, Limits); 2] {
        [
            (&self.credential_key, self.limits.per_credential),
            (&self.address_key, self.limits.per_address),
        ]
    }
}
