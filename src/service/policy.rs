//! The overlap policy: which aid types conflict with which. By default a type conflicts with
//! itself only; configuration adds pairs, and conflict is always symmetric.

use std::collections::BTreeSet;
use std::str::FromStr;

use super::domain::AidType;

/// Which pairs of aid types count as the same aid given twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlapPolicy {
    pairs: BTreeSet<(AidType, AidType)>,
}

impl Default for OverlapPolicy {
    fn default() -> Self {
        OverlapPolicy { pairs: AidType::ALL.iter().map(|&t| (t, t)).collect() }
    }
}

impl OverlapPolicy {
    /// Whether aid of type `a` and aid of type `b` in overlapping periods is an overlap.
    pub fn conflicts(&self, a: AidType, b: AidType) -> bool {
        self.pairs.contains(&(a, b))
    }

    /// Every type that conflicts with `a`.
    pub fn conflicting(&self, a: AidType) -> Vec<AidType> {
        AidType::ALL.iter().copied().filter(|&b| self.conflicts(a, b)).collect()
    }
}

impl FromStr for OverlapPolicy {
    type Err = String;

    /// `cash=cash+voucher,food=food+voucher`: each entry adds conflicts between the left type
    /// and every type on the right (both ways). An empty string is the default.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut policy = OverlapPolicy::default();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (left, right) = entry.split_once('=').ok_or_else(|| format!("`{entry}`: expected TYPE=TYPE+TYPE"))?;
            let a = AidType::parse(left.trim()).ok_or_else(|| format!("unknown aid type `{left}`"))?;
            for r in right.split('+').map(str::trim).filter(|r| !r.is_empty()) {
                let b = AidType::parse(r).ok_or_else(|| format!("unknown aid type `{r}`"))?;
                policy.pairs.insert((a, b));
                policy.pairs.insert((b, a));
            }
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_same_type_only() {
        let p = OverlapPolicy::default();
        assert!(p.conflicts(AidType::Cash, AidType::Cash));
        assert!(!p.conflicts(AidType::Cash, AidType::Voucher));
    }

    #[test]
    fn configured_pairs_are_symmetric() {
        let p: OverlapPolicy = "cash=voucher+food".parse().expect("valid policy");
        assert!(p.conflicts(AidType::Voucher, AidType::Cash));
        assert!(p.conflicts(AidType::Food, AidType::Cash));
        assert!(!p.conflicts(AidType::Food, AidType::Voucher));
        assert!("cash=money".parse::<OverlapPolicy>().is_err());
    }
}
