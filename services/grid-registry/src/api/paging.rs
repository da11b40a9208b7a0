//! Page sizes and opaque page tokens.

use platform::error::AppError;

/// Where a page starts and how long it is.
#[derive(Debug, Clone)]
pub(super) struct Page {
    /// The key to continue after; empty for the first page.
    pub after: String,
    pub limit: i64,
}

impl Page {
    /// Decodes a requested page size (0: 100, at most `max`, the
    /// configured `registry.limits.max_page_size`) and token.
    ///
    /// # Errors
    /// A size out of range or a token not from an earlier response.
    pub fn of(page_size: u32, page_token: &str, max: u32) -> Result<Self, AppError> {
        let limit = page_size_of(page_size, max)?;
        Ok(Self {
            after: after(page_token)?,
            limit,
        })
    }

    /// Returns the token for the page after `items` when the page was full.
    pub fn next_token<T>(&self, items: &[T], key: impl Fn(&T) -> &str) -> String {
        match items.last() {
            Some(last) if items.len() as i64 == self.limit => page_token(key(last)),
            _ => String::new(),
        }
    }
}

/// Page size bounds: 100 by default (or `max`, if smaller), at most `max`.
fn page_size_of(requested: u32, max: u32) -> Result<i64, AppError> {
    match requested {
        0 => Ok(i64::from(max.min(100))),
        n if n <= max => Ok(i64::from(n)),
        _ => Err(AppError::invalid(
            "page_size",
            format!("must be between 1 and {max}"),
        )),
    }
}

/// The longest page token: the hex of a code (64 characters) or an id.
const MAX_TOKEN_CHARS: usize = 256;

/// Encodes the last key of a page as an opaque token.
fn page_token(last: &str) -> String {
    last.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a page token into the key to continue after.
///
/// # Errors
/// A token not from an earlier response.
pub fn after(token: &str) -> Result<String, AppError> {
    let invalid = || {
        AppError::invalid(
            "page_token",
            "must be a next_page_token from an earlier response",
        )
    };
    // Hex is ASCII: a token that is not cannot be cut in pairs of bytes.
    if token.len() > MAX_TOKEN_CHARS || !token.len().is_multiple_of(2) || !token.is_ascii() {
        return Err(invalid());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&token[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| invalid())?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_garbage_is_refused() {
        assert_eq!(
            after(&page_token("LX-V01-A1-M03")).unwrap(),
            "LX-V01-A1-M03"
        );
        assert!(matches!(after("zz"), Err(AppError::InvalidArgument(_))));
        assert!(matches!(
            after(&"ab".repeat(200)),
            Err(AppError::InvalidArgument(_))
        ));
    }

    #[test]
    fn page_tokens_with_a_character_past_ascii_are_refused_not_a_panic() {
        for token in ["aéb", "00é0", "ab\u{1F600}"] {
            assert!(
                matches!(after(token), Err(AppError::InvalidArgument(_))),
                "{token:?} is refused"
            );
        }
    }

    #[test]
    fn the_page_size_is_capped_by_configuration() {
        assert_eq!(page_size_of(0, 1000).unwrap(), 100);
        assert_eq!(page_size_of(0, 50).unwrap(), 50);
        assert_eq!(page_size_of(1000, 1000).unwrap(), 1000);
        assert!(matches!(
            page_size_of(51, 50),
            Err(AppError::InvalidArgument(_))
        ));
    }
}
