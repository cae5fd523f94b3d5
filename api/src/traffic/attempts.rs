//! Guessing credentials: failed sign-ins (a password at `/auth/login`, a client secret at
//! `/oauth/token`) spend from two buckets, kept like every budget ([`Budgets`]): a strict one
//! per credential *and* source address, and a wider one per address. Each attempt is counted
//! before its credential is checked and given back if the credential was right; each failure
//! is answered more slowly than the last; once either bucket is empty, attempts are refused
//! with 429 before the credential is even checked, until a point comes back. The strict bucket is keyed
//! on the address too, so that someone guessing from elsewhere cannot lock the real holder
//! out; the address bucket stops one address trying many accounts.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::bucket::{Decision, Limits};
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
pub struct Attempts {
    budgets: Arc<Budgets>,
    limits: AttemptLimits,
    credential_key: String,
    address_key: String,
}

/// An attempt counted before its credential is checked: attempts sent together are counted
/// together, so none slips through while another is being checked.
#[derive(Debug, Clone, Copy)]
pub struct Reserved {
    /// Attempts the credential's bucket holds from this address, this one included.
    attempts: f64,
}

impl Attempts {
    pub fn new(
        budgets: Arc<Budgets>,
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
            credential_key: format!("attempts:{credential}:{address}"),
            address_key: format!("attempts:address:{address}"),
        }
    }

    /// Counts an attempt in both buckets, or says how long to wait when either is empty (and
    /// then counts it in neither).
    pub async fn reserve(&self) -> Result<Reserved, Duration> {
        let credential = self.limits.per_credential;
        let standing = match self
            .budgets
            .take(&self.credential_key, credential, 1.0)
            .await
        {
            Decision::Granted(standing) => standing,
            Decision::Refused(standing) => return Err(standing.until(1.0)),
        };
        let address = self.limits.per_address;
        if let Decision::Refused(refused) = self.budgets.take(&self.address_key, address, 1.0).await
        {
            Arc::clone(&self.budgets).give_back(self.credential_key.clone(), credential, 1);
            return Err(refused.until(1.0));
        }
        Ok(Reserved {
            attempts: (credential.capacity - standing.available).round().max(1.0),
        })
    }

    /// The credential was right: its attempt is not held against it.
    pub fn succeeded(self) {
        let budgets = Arc::clone(&self.budgets);
        budgets.give_back(self.credential_key, self.limits.per_credential, 1);
        let budgets = Arc::clone(&self.budgets);
        budgets.give_back(self.address_key, self.limits.per_address, 1);
    }

    /// The credential was wrong: how long to hold the answer back, a step for every attempt
    /// the credential's bucket holds.
    pub fn failed(&self, reserved: Reserved) -> Duration {
        DELAY_STEP.mul_f64(reserved.attempts)
    }
}
