//! The gateway as an HTTP client sees it: who a key is, and posting a batch. A batch that meets
//! a transport error, `429`, `502`, `503` or `504` is posted again after a pause: items already
//! stored then come back as replays, so retrying never stores anything twice.

use std::time::Duration;

use anyhow::{Context, bail};

pub use bawaba_wire::agencies::WhoAmI;
use bawaba_wire::errors::ErrorBody;
/// The error of a refused item.
pub use bawaba_wire::errors::ErrorDetail as ItemError;
/// One item of a batch answer.
pub use bawaba_wire::records::BatchResult as ItemResult;
use bawaba_wire::records::{BatchAnswer, RecordBody};

/// A gateway at `base`, spoken to with one key.
pub struct Gateway {
    agent: ureq::Agent,
    base: String,
    auth: String,
    /// Pauses between attempts at one request.
    pub backoff: Vec<Duration>,
}

impl Gateway {
    pub fn new(base: &str, key: &str) -> Gateway {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout_read(Duration::from_secs(600))
            .timeout_write(Duration::from_secs(120))
            .build();
        Gateway {
            agent,
            base: base.trim_end_matches('/').to_owned(),
            auth: format!("Bearer {}", key.trim()),
            backoff: [1, 2, 4, 8, 15].map(Duration::from_secs).to_vec(),
        }
    }

    /// Who the key is.
    pub fn whoami(&self) -> anyhow::Result<WhoAmI> {
        let res = self.send(false, None, || {
            self.agent.get(&format!("{}/v1/whoami", self.base)).set("Authorization", &self.auth)
        })?;
        res.into_json().context("reading the answer of /v1/whoami")
    }

    /// Posts records; one result per record, in order.
    pub fn post_batch(&self, records: &[&RecordBody]) -> anyhow::Result<Vec<ItemResult>> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            records: &'a [&'a RecordBody],
        }
        let body = serde_json::to_vec(&Body { records }).context("writing the batch as JSON")?;
        let res = self.send(true, Some(&body), || {
            self.agent
                .post(&format!("{}/v1/records/batch", self.base))
                .set("Authorization", &self.auth)
                .set("Content-Type", "application/json")
        })?;
        let mut answer: BatchAnswer = res.into_json().context("reading the answer of /v1/records/batch")?;
        answer.results.sort_by_key(|r| r.index);
        let in_order =
            answer.results.len() == records.len() && answer.results.iter().enumerate().all(|(i, r)| r.index == i);
        if !in_order {
            bail!("the gateway answered {} results for a batch of {}", answer.results.len(), records.len());
        }
        Ok(answer.results)
    }

    /// Sends a request (with `body`, else a GET), again after a pause while the failure is one
    /// that passes (if `retry`).
    fn send(
        &self,
        retry: bool,
        body: Option<&[u8]>,
        request: impl Fn() -> ureq::Request,
    ) -> anyhow::Result<ureq::Response> {
        let mut pauses = self.backoff.iter();
        loop {
            let result = match body {
                Some(b) => request().send_bytes(b),
                None => request().call(),
            };
            let failure = match result {
                Ok(res) => return Ok(res),
                Err(ureq::Error::Status(status, res)) => {
                    let retry_after =
                        res.header("Retry-After").and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
                    let text = res.into_string().unwrap_or_default();
                    let what = match serde_json::from_str::<ErrorBody>(&text) {
                        Ok(b) => {
                            let details: Vec<String> =
                                b.error.details.iter().map(|d| format!("{}: {}", d.field, d.problem)).collect();
                            if details.is_empty() {
                                format!("{} ({})", b.error.message, b.error.code)
                            } else {
                                format!("{} ({}): {}", b.error.message, b.error.code, details.join("; "))
                            }
                        }
                        Err(_) => text.chars().take(300).collect(),
                    };
                    let failure = anyhow::anyhow!("the gateway answered {status}: {what}");
                    if !matches!(status, 429 | 502 | 503 | 504) {
                        return Err(failure);
                    }
                    (failure, retry_after)
                }
                Err(e) => (anyhow::anyhow!("cannot reach the gateway at {}: {e}", self.base), None),
            };
            let (failure, retry_after) = failure;
            let Some(pause) = pauses.next().filter(|_| retry) else {
                return Err(failure);
            };
            std::thread::sleep(retry_after.unwrap_or(*pause).min(Duration::from_secs(60)));
        }
    }
}
