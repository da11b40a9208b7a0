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
    /// Decodes a requested page size (0: 100, at most 1000) and token.
    ///
    /// # Errors
    /// A size out of range or a token not from an earlier response.
    pub fn of(page_size: u32, page_token: &str) -> Result<Self, AppError> {
        let limit = page_size_of(page_size)?;
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

/// Page size bounds: 100 by default, at most 1000.
fn page_size_of(requested: u32) -> Result<i64, AppError> {
    match requested {
        0 => Ok(100),
        1..=1000 => Ok(i64::from(requested)),
        _ => Err(AppError::invalid("page_size", "must be between 1 and 1000")),
    }
}

/// Encodes the last key of a page as an opaque token.
fn page_token(last: &str) -> String {
    last.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a page token into the key to continue after.
fn after(token: &str) -> Result<String, AppError> {
    let invalid = || {
        AppError::invalid(
            "page_token",
            "must be a next_page_token from an earlier response",
        )
    };
    if !token.len().is_multiple_of(2) {
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
    }
}
