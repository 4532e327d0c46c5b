//! Request rate limits, so that one caller cannot starve the others or flood the database.
//!
//! Policy:
//! - A request that presents a key the gateway already knows (the master key, or a key found
//!   before and so cached) counts against that key's budget ([`RateLimits::per_key`]). Every
//!   other request (no key, a key never seen, an unknown key, the pages) counts against its
//!   client address ([`RateLimits::per_address`]); IPv6 addresses count by their /64, which
//!   one client usually holds whole. So a flood of made-up keys is bounded by its address
//!   before any of them costs a database look-up, and agencies behind one NAT never share a
//!   budget.
//! - `/healthz` and `/metrics` have a budget of their own per address, as large as the API's:
//!   a client flooding the API from the load balancer's address never fails its health check,
//!   and a flood of health checks cannot tie up the database either.
//! - A budget is a rate with bursts up to one period's worth (`60000/min`: 60,000 at once, then
//!   1,000 a second). Over it the request is refused with `rate_limited` and the seconds to wait.
//!   Budgets live in memory, per gateway; entries not used for a while are dropped.
//!
//! Sign-in failures of the pages are throttled apart, in [`super::sessions`].

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};

use super::error::ServiceError;

/// A budget: `count` requests per `per`, in bursts of up to `count`; or none (`off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    count: u32,
    per: Duration,
}

impl Rate {
    /// `count` requests per `per` (a count of 0 is no limit).
    pub fn new(count: u32, per: Duration) -> Rate {
        Rate { count, per }
    }

    /// No limit.
    pub fn off() -> Rate {
        Rate { count: 0, per: Duration::from_secs(1) }
    }

    fn quota(self) -> Option<Quota> {
        let burst = NonZeroU32::new(self.count)?;
        Quota::with_period(self.per / self.count).map(|q| q.allow_burst(burst))
    }
}

impl FromStr for Rate {
    type Err = String;

    /// `N/s`, `N/min` or `N/h` (a bare `N` is per second); `off` or `0` for no limit.
    fn from_str(s: &str) -> Result<Rate, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") {
            return Ok(Rate::off());
        }
        let (count, unit) = s.split_once('/').unwrap_or((s, "s"));
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a rate: write N/s, N/min or N/h (e.g. 600/min), or off"))?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            other => return Err(format!("`{other}` is not a unit of a rate: write s, min or h")),
        };
        Ok(Rate { count, per })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 0 {
            return f.write_str("off");
        }
        match self.per.as_secs() {
            1 => write!(f, "{}/s", self.count),
            60 => write!(f, "{}/min", self.count),
            3600 => write!(f, "{}/h", self.count),
            _ => write!(f, "{}/{}s", self.count, self.per.as_secs_f64()),
        }
    }
}

/// The budgets a gateway keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Each known key's budget.
    pub per_key: Rate,
    /// Each client address's budget, for requests with no known key.
    pub per_address: Rate,
}

impl Default for RateLimits {
    /// Generous: 60,000 requests a minute per key, 3,000 per address, bursts included.
    fn default() -> Self {
        RateLimits {
            per_key: Rate::new(60_000, Duration::from_secs(60)),
            per_address: Rate::new(3_000, Duration::from_secs(60)),
        }
    }
}

/// Whose budget a request is charged to.
#[derive(Debug, Clone, Copy)]
pub enum Budget<'a> {
    /// A known key, by the SHA-256 of the key.
    Key(&'a [u8; 32]),
    /// A client address, for requests with no known key.
    Address(Option<IpAddr>),
    /// `/healthz` and `/metrics`, by client address.
    Operations(Option<IpAddr>),
}

impl Budget<'_> {
    /// The metric label of the budget.
    pub fn label(&self) -> &'static str {
        match self {
            Budget::Key(_) => "key",
            Budget::Address(_) => "address",
            Budget::Operations(_) => "operations",
        }
    }
}

/// The live budgets of one gateway.
pub struct Limiter {
    per_key: Option<DefaultKeyedRateLimiter<[u8; 32]>>,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    operations: Option<DefaultKeyedRateLimiter<IpAddr>>,
    calls: AtomicU64,
}

/// Every this many requests, budgets back to full are dropped from memory.
const PRUNE_EVERY: u64 = 4096;

impl Limiter {
    /// Budgets as configured.
    pub fn new(limits: RateLimits) -> Limiter {
        Limiter {
            per_key: limits.per_key.quota().map(DefaultKeyedRateLimiter::keyed),
            per_address: limits.per_address.quota().map(DefaultKeyedRateLimiter::keyed),
            operations: limits.per_address.quota().map(DefaultKeyedRateLimiter::keyed),
            calls: AtomicU64::new(0),
        }
    }

    /// Charges one request to `budget`, or says how long to wait.
    pub fn admit(&self, budget: Budget<'_>) -> Result<(), ServiceError> {
        if self.calls.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune();
        }
        match budget {
            Budget::Key(digest) => check(self.per_key.as_ref(), digest),
            Budget::Address(addr) => check(self.per_address.as_ref(), &address_key(addr)),
            Budget::Operations(addr) => check(self.operations.as_ref(), &address_key(addr)),
        }
    }

    fn prune(&self) {
        for l in [&self.per_address, &self.operations].into_iter().flatten() {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_key {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Charges one request to `key` in `limiter` (none: no limit), or says how long to wait.
fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: Option<&DefaultKeyedRateLimiter<K>>,
    key: &K,
) -> Result<(), ServiceError> {
    match limiter.map(|l| l.check_key(key).map_err(|not_until| not_until.wait_time_from(l.clock().now()))) {
        None | Some(Ok(())) => Ok(()),
        Some(Err(wait)) => Err(ServiceError::RateLimited(seconds(wait))),
    }
}

/// Whole seconds to wait, rounded up, at least one (what `Retry-After` says).
pub fn seconds(wait: Duration) -> u64 {
    wait.as_secs().saturating_add(u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The address a budget is kept for: IPv4 as is (an IPv4-mapped IPv6 address as its IPv4),
/// IPv6 by its /64; an unknown peer (not over TCP) shares one budget.
pub fn address_key(addr: Option<IpAddr>) -> IpAddr {
    match addr {
        None => IpAddr::from([0, 0, 0, 0]),
        Some(IpAddr::V4(v4)) => IpAddr::V4(v4),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::from(s)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        assert_eq!("600/min".parse::<Rate>(), Ok(Rate::new(600, Duration::from_secs(60))));
        assert_eq!("5".parse::<Rate>(), Ok(Rate::new(5, Duration::from_secs(1))));
        assert_eq!("10 / h".parse::<Rate>(), Ok(Rate::new(10, Duration::from_secs(3600))));
        assert_eq!("off".parse::<Rate>().map(|r| r.quota().is_none()), Ok(true));
        assert_eq!("0/s".parse::<Rate>().map(|r| r.quota().is_none()), Ok(true));
        assert!("many".parse::<Rate>().is_err());
        assert!("5/week".parse::<Rate>().is_err());
        for s in ["600/min", "5/s", "10/h", "off"] {
            assert_eq!(s.parse::<Rate>().map(|r| r.to_string()).as_deref(), Ok(s));
        }
    }

    #[test]
    fn a_budget_refuses_past_its_burst_and_says_when() {
        let limits = RateLimits { per_key: Rate::new(2, Duration::from_secs(60)), per_address: Rate::off() };
        let l = Limiter::new(limits);
        let (a, b) = ([1u8; 32], [2u8; 32]);
        assert!(l.admit(Budget::Key(&a)).is_ok());
        assert!(l.admit(Budget::Key(&a)).is_ok());
        match l.admit(Budget::Key(&a)) {
            Err(ServiceError::RateLimited(s)) => assert!((1..=30).contains(&s), "{s}"),
            other => panic!("{other:?}"),
        }
        assert!(l.admit(Budget::Key(&b)).is_ok(), "another key has its own budget");
        for _ in 0..100 {
            assert!(l.admit(Budget::Address(None)).is_ok(), "off is no limit");
        }
    }

    #[test]
    fn ipv6_counts_by_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("v6");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("v6");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("v6");
        assert_eq!(address_key(Some(a)), address_key(Some(b)));
        assert_ne!(address_key(Some(a)), address_key(Some(c)));
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().expect("mapped");
        assert_eq!(address_key(Some(mapped)), "10.1.2.3".parse::<IpAddr>().expect("v4"));
        assert_eq!(seconds(Duration::from_millis(1)), 1);
        assert_eq!(seconds(Duration::from_millis(2001)), 3);
    }
}
