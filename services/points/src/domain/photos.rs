//! Photos attached to reports, by reference: their content hash, type and
//! size are checked; the pictures themselves live in object storage.

/// The most photos one report carries.
pub const MAX_PHOTOS: usize = 9;
/// The largest photo, in bytes: a phone camera's JPEG, not a raw file.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;
/// The accepted content types.
pub const TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// A photo reference, as sent and as kept with its report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhotoRef {
    pub sha256: String,
    pub content_type: String,
    pub size_bytes: u64,
}

/// Returns every broken rule as (field, rule), fields named
/// `photos[i].sha256` and so on.
pub fn check(photos: &[PhotoRef]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if photos.len() > MAX_PHOTOS {
        out.push(("photos".to_owned(), format!("at most {MAX_PHOTOS} photos")));
    }
    for (i, p) in photos.iter().enumerate() {
        if p.sha256.len() != 64 || !p.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            out.push((
                format!("photos[{i}].sha256"),
                "must be 64 hexadecimal characters".to_owned(),
            ));
        }
        if !TYPES.contains(&p.content_type.as_str()) {
            out.push((
                format!("photos[{i}].content_type"),
                format!("must be one of {}", TYPES.join(", ")),
            ));
        }
        if p.size_bytes == 0 || p.size_bytes > MAX_BYTES {
            out.push((
                format!("photos[{i}].size_bytes"),
                format!("must be between 1 and {MAX_BYTES}"),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (i, p) in photos.iter().enumerate() {
        if !seen.insert(&p.sha256) {
            out.push((
                format!("photos[{i}].sha256"),
                "repeats an earlier photo".to_owned(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(sha: &str, kind: &str, size: u64) -> PhotoRef {
        PhotoRef {
            sha256: sha.into(),
            content_type: kind.into(),
            size_bytes: size,
        }
    }

    #[test]
    fn every_broken_rule_is_named_by_field() {
        let good = "a".repeat(64);
        assert!(check(&[photo(&good, "image/jpeg", 2_000_000)]).is_empty());
        let found = check(&[
            photo("xyz", "image/gif", 0),
            photo(&good, "image/png", MAX_BYTES + 1),
            photo(&good, "image/png", 5),
        ]);
        let fields: Vec<_> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "photos[0].sha256",
                "photos[0].content_type",
                "photos[0].size_bytes",
                "photos[1].size_bytes",
                "photos[2].sha256"
            ]
        );
    }

    #[test]
    fn at_most_nine_photos() {
        let many: Vec<_> = (0..10)
            .map(|i| photo(&format!("{i:064}"), "image/jpeg", 10))
            .collect();
        assert_eq!(check(&many)[0].0, "photos");
    }
}
