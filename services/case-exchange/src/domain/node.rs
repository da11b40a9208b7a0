//! A node's identity in the manner of X-Road's member ids: province,
//! county, town and service, e.g. `zhejiang/pinghu/xindai/case-exchange`.

use std::fmt;

/// A node of the federation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub province: String,
    pub county: String,
    pub town: String,
    pub service: String,
}

impl NodeId {
    /// Parses `province/county/town/service`, each part 1–40 lowercase
    /// ASCII letters, digits or dashes; `None` otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let [province, county, town, service] = parts.as_slice() else {
            return None;
        };
        let good = |part: &str| {
            (1..=40).contains(&part.len())
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        [province, county, town, service]
            .iter()
            .all(|p| good(p))
            .then(|| Self {
                province: (*province).to_owned(),
                county: (*county).to_owned(),
                town: (*town).to_owned(),
                service: (*service).to_owned(),
            })
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.province, self.county, self.town, self.service
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_id_has_four_lowercase_parts() {
        let node = NodeId::parse("zhejiang/pinghu/xindai/case-exchange").unwrap();
        assert_eq!(node.town, "xindai");
        assert_eq!(node.to_string(), "zhejiang/pinghu/xindai/case-exchange");
        assert_eq!(NodeId::parse("zhejiang/pinghu/xindai"), None);
        assert_eq!(NodeId::parse("Zhejiang/pinghu/xindai/x"), None);
        assert_eq!(NodeId::parse("a/b//d"), None);
    }
}
