//! Every caller's bucket ([`bucket`]), kept where every instance sees it: in
//! Redis when `GONGZHI_REDIS_URL` is set (one atomic script call per request, on Redis's own
//! clock, so instances agree), in this process otherwise. When Redis does not answer, requests
//! are not refused for it: the instance falls back to its own buckets, warns once, and tries
//! Redis again a few seconds later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::bucket::{self, Decision, Level, Limits, Taking};

/// How long a call to Redis may take before the instance decides on its own.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);
/// How long an instance keeps to its own buckets after Redis failed to answer.
const REDIS_RETRY_AFTER: Duration = Duration::from_secs(5);
/// How many buckets this process keeps before it forgets the full ones (a full bucket is the
/// same as none): one per caller seen lately, anonymous addresses included.
const LOCAL_BUCKETS: usize = 10_000;

/// The buckets of every caller.
pub struct Budgets {
    local: LocalBuckets,
    shared: Option<SharedBuckets>,
}

impl Budgets {
    /// Buckets in Redis at `redis_url` (keys under `prefix`), or in this process without one.
    pub fn new(redis_url: Option<&str>, prefix: &str) -> Result<Self, redis::RedisError> {
        let shared = match redis_url {
            Some(url) => Some(SharedBuckets::new(url, prefix)?),
            None => None,
        };
        Ok(Self {
            local: LocalBuckets::default(),
            shared,
        })
    }

    /// Takes `cost` points from `caller`'s bucket, or refuses; a cost of 0 only reads the
    /// standing, and a negative one gives points back.
    pub async fn take(&self, caller: &str, limits: Limits, cost: f64) -> Decision {
        self.take_as(caller, limits, cost, Taking::IfHeld).await
    }

    async fn take_as(&self, caller: &str, limits: Limits, cost: f64, taking: Taking) -> Decision {
        if let Some(shared) = &self.shared
            && let Some(decision) = shared.take(caller, limits, cost, taking).await
        {
            return decision;
        }
        self.local.take(caller, limits, cost, taking)
    }

    /// Puts `points` a request did not use back into `caller`'s bucket.
    pub fn give_back(self: &Arc<Self>, caller: String, limits: Limits, points: u64) {
        self.settle(caller, limits, -(points as f64), Taking::IfHeld);
    }

    /// Takes `points` more for work a request did beyond what it was priced at, into debt if
    /// need be.
    pub fn charge_more(self: &Arc<Self>, caller: String, limits: Limits, points: u64) {
        self.settle(caller, limits, points as f64, Taking::Regardless);
    }

    /// Settles a request's account after it ran: in Redis beside the response, not before it,
    /// for the request already has its answer.
    fn settle(self: &Arc<Self>, caller: String, limits: Limits, points: f64, taking: Taking) {
        if points == 0.0 {
            return;
        }
        match &self.shared {
            Some(shared) if !shared.is_down() => {
                let budgets = Arc::clone(self);
                tokio::spawn(async move {
                    if let Some(shared) = &budgets.shared {
                        // Lost if Redis fails just now, as a request's charge would be.
                        let _ = shared.take(&caller, limits, points, taking).await;
                    }
                });
            }
            _ => {
                self.local.take(&caller, limits, points, taking);
            }
        }
    }
}

/// Buckets in this process, on its monotonic clock.
struct LocalBuckets {
    levels: Mutex<Levels>,
    epoch: Instant,
}

/// The buckets kept, and how many there may be before the full ones are forgotten: twice as
/// many as were left last time, so that forgetting costs a constant share of each insertion.
struct Levels {
    buckets: HashMap<String, (Level, Limits)>,
    forget_at: usize,
}

impl Default for LocalBuckets {
    fn default() -> Self {
        Self {
            levels: Mutex::new(Levels {
                buckets: HashMap::new(),
                forget_at: LOCAL_BUCKETS,
            }),
            epoch: Instant::now(),
        }
    }
}

impl LocalBuckets {
    fn take(&self, caller: &str, limits: Limits, cost: f64, taking: Taking) -> Decision {
        let now_ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        // Every change below is one call, so a panic elsewhere leaves the map whole.
        let mut levels = self.levels.lock().unwrap_or_else(PoisonError::into_inner);
        let known = levels.buckets.get(caller).map(|(level, _)| *level);
        let (decision, level) = bucket::take(known, limits, cost, taking, now_ms);
        // Reading a bucket changes nothing, as in Redis: no entry for a caller never charged.
        if cost == 0.0 {
            return decision;
        }
        if known.is_none() && levels.buckets.len() >= levels.forget_at {
            levels.buckets.retain(|_, (level, limits)| {
                bucket::take(Some(*level), *limits, 0.0, Taking::IfHeld, now_ms)
                    .0
                    .standing()
                    .available
                    < limits.capacity
            });
            levels.forget_at = LOCAL_BUCKETS.max(levels.buckets.len() * 2);
        }
        levels.buckets.insert(caller.to_owned(), (level, limits));
        decision
    }
}

/// Buckets in Redis, shared by every instance.
struct SharedBuckets {
    client: redis::Client,
    /// Connected on first use, so that an instance starts while Redis is down; reconnects by
    /// itself after that.
    connection: OnceCell<ConnectionManager>,
    script: redis::Script,
    prefix: String,
    /// Until when (milliseconds since `epoch`) the instance keeps to its own buckets.
    down_until_ms: AtomicU64,
    /// Whether the outage has been reported.
    warned: AtomicBool,
    epoch: Instant,
}

/// The bucket's arithmetic of [`bucket::take`] on Redis's clock: `KEYS[1]` the bucket (a hash of
/// `available` and `at_ms`), ARGV the capacity, the restore rate, the cost, and 1 to take it
/// regardless (into debt). Returns whether the cost was granted and the points left, as a
/// string (Redis would truncate a number). The key expires once the bucket would be full
/// again, when it is the same as no bucket.
const SCRIPT: &str = r"
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local regardless = ARGV[4] == '1'
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local level = redis.call('HMGET', KEYS[1], 'available', 'at_ms')
local available = capacity
if level[1] then
  local elapsed = math.max(0, now - tonumber(level[2])) / 1000
  available = math.min(capacity, tonumber(level[1]) + elapsed * rate)
end
local granted = 0
if cost <= available or regardless then
  granted = 1
  available = math.min(capacity, available - cost)
end
if cost ~= 0 then
  redis.call('HSET', KEYS[1], 'available', tostring(available), 'at_ms', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - available) / rate * 1000) + 1000)
end
return {granted, tostring(available)}
";

impl SharedBuckets {
    fn new(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            connection: OnceCell::new(),
            script: redis::Script::new(SCRIPT),
            prefix: prefix.to_owned(),
            down_until_ms: AtomicU64::new(0),
            warned: AtomicBool::new(false),
            epoch: Instant::now(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether the instance keeps to its own buckets for now, Redis having failed lately.
    fn is_down(&self) -> bool {
        self.now_ms() < self.down_until_ms.load(Ordering::Relaxed)
    }

    /// The decision of the shared bucket; `None` when Redis did not give one in time.
    async fn take(
        &self,
        caller: &str,
        limits: Limits,
        cost: f64,
        taking: Taking,
    ) -> Option<Decision> {
        if self.is_down() {
            return None;
        }
        let call = self.call(caller, limits, cost, taking);
        match tokio::time::timeout(REDIS_TIMEOUT, call).await {
            Ok(Ok(decision)) => {
                if self.warned.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis answers again: budgets are shared across instances");
                }
                Some(decision)
            }
            failed => {
                let reason = match failed {
                    Ok(Err(err)) => err.to_string(),
                    _ => "no answer in time".to_owned(),
                };
                let retry_ms = u64::try_from(REDIS_RETRY_AFTER.as_millis()).unwrap_or(u64::MAX);
                self.down_until_ms
                    .store(self.now_ms().saturating_add(retry_ms), Ordering::Relaxed);
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        error = %reason,
                        "Redis does not answer: each instance keeps its own budgets until it does"
                    );
                }
                None
            }
        }
    }

    async fn call(
        &self,
        caller: &str,
        limits: Limits,
        cost: f64,
        taking: Taking,
    ) -> Result<Decision, redis::RedisError> {
        let connection = self
            .connection
            .get_or_try_init(|| {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(REDIS_TIMEOUT))
                    .set_response_timeout(Some(REDIS_TIMEOUT))
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(self.client.clone(), config)
            })
            .await?;
        let (granted, available): (i64, String) = self
            .script
            .key(format!("{}:budget:{caller}", self.prefix))
            .arg(limits.capacity)
            .arg(limits.restore_rate)
            .arg(cost)
            .arg(u8::from(taking == Taking::Regardless))
            .invoke_async(&mut connection.clone())
            .await?;
        let available = available.parse::<f64>().unwrap_or(0.0);
        let standing = bucket::Standing { limits, available };
        Ok(if granted == 1 {
            Decision::Granted(standing)
        } else {
            Decision::Refused(standing)
        })
    }
}
