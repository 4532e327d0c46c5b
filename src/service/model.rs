//! The matching model as an operator manages it: the configuration file `serve` reads, and its
//! re-estimation by EM on the stored data (`bawaba model estimate`: λ, m and u), with m and u
//! then m learned from reviewers' decisions and spot checks (`learning`) where there are any.

use std::path::Path;

use bawaba_matching::{MatchConfig, Matcher};

use super::Database;
use super::error::ServiceError;
use super::index::Engine;

/// The matching configuration in a JSON file (as `model estimate` writes it), or the defaults.
pub fn load_config(path: Option<&Path>) -> Result<MatchConfig, ServiceError> {
    let Some(path) = path else { return Ok(MatchConfig::default()) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| ServiceError::field("match_config", format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        ServiceError::field("match_config", format!("{} is not a matching configuration: {e}", path.display()))
    })
}

/// The configuration with the registry's expected size (`--expected-households`) when given.
pub fn with_expected_households(mut config: MatchConfig, households: Option<usize>) -> MatchConfig {
    if let Some(n) = households {
        config.expected_households = n;
    }
    config
}

/// What a re-estimation looked at and produced.
pub struct Estimate {
    pub persons: usize,
    pub households: usize,
    /// Reviewers' decisions m learned from (0 with no spot check either: EM alone).
    pub decisions: usize,
    /// Answered spot checks m learned from.
    pub spot_checks: usize,
    /// The whole configuration with the new m and u probabilities and repeat rate (λ × persons),
    /// as JSON for `serve --match-config`.
    pub config_json: String,
}

/// Re-estimates λ, m and u by EM on up to `max_pairs` candidate pairs drawn from the
/// stored persons' blocks, starting from the configuration at `from` (or the defaults).
pub fn estimate(db: &Database, from: Option<&Path>, max_pairs: usize) -> Result<Estimate, ServiceError> {
    let config = load_config(from)?;
    let mut conn = db.connect()?;
    let vault = db.vault()?;
    let (engine, _) = Engine::load(&mut conn, Matcher::new(config.clone()), &vault)?;
    let state = engine.state.read();
    let estimated = engine.matcher.estimate(&state.index, max_pairs).apply(&config);
    // Beside EM: what reviewers decided and spot checks answered, as labelled pairs weighed by
    // their samples, scored with the EM model.
    let em = Matcher::new(estimated.clone());
    let labelled = super::learning::labelled_pairs(&mut conn, &vault, &em, &state.index)?;
    let estimated = if labelled.pairs.is_empty() {
        estimated
    } else {
        em.learn_weighted(&state.index, &labelled.pairs, super::learning::STRENGTH, super::learning::LEARN_U)
            .apply(&estimated)
    };
    let (decisions, spot_checks) = (labelled.decisions, labelled.spot_checks);
    let config_json = serde_json::to_string_pretty(&estimated).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(Estimate {
        persons: state.index.persons(),
        households: state.index.households(),
        decisions,
        spot_checks,
        config_json,
    })
}
