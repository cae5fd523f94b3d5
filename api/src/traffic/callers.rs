//! Whose bucket a request spends from, and how big it is: an API client's own (its limits, or
//! the defaults), each signed-in account's or person's, and for anonymous callers their source
//! address's, which is smaller.

use std::net::IpAddr;

use entities::api_client;

use super::bucket::Limits;
use crate::auth::Principal;

/// The buckets' sizes when a caller has none of its own.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Every caller with a token, unless its API client has limits of its own.
    pub callers: Limits,
    /// Anonymous callers, one bucket per source address.
    pub anonymous: Limits,
}

impl Policy {
    /// The bucket of a request by `principal` (whose API client, if it is one, is `client`) from
    /// `address`: its key and its limits.
    pub fn bucket_of(
        &self,
        principal: &Principal,
        client: Option<&api_client::Model>,
        address: IpAddr,
    ) -> (String, Limits) {
        let Some(subject) = principal.subject.as_deref() else {
            return (format!("address:{address}"), self.anonymous);
        };
        let limits = match client {
            Some(client) => Limits {
                capacity: client
                    .budget_capacity
                    .map_or(self.callers.capacity, f64::from),
                restore_rate: client
                    .budget_restore_rate
                    .map_or(self.callers.restore_rate, f64::from),
            },
            None => self.callers,
        };
        (format!("caller:{subject}"), limits)
    }
}
