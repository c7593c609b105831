//! Paging of the admin lists (answers, cases, deliveries): a page size from the query
//! and the cursor of the next page. Depends on nothing but `ServiceError`.

use super::ServiceError;

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

/// A page size from the query: 1 to [`MAX_PAGE`], [`DEFAULT_PAGE`] when absent.
pub fn parse_limit(limit: Option<&str>) -> Result<u32, ServiceError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| ServiceError::invalid("limit", "must be an integer from 1 to 200")),
    }
}

/// Lists fetch one row more than a page: if it came, there is a next page, and the
/// last row kept is the cursor for it. Saves a count query.
pub fn cut<T>(items: &mut Vec<T>, limit: u32, id: impl Fn(&T) -> String) -> Option<String> {
    if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(id)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_size_is_one_to_two_hundred_and_fifty_by_default() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_PAGE);
        assert_eq!(parse_limit(Some("200")).unwrap(), 200);
        for bad in ["0", "201", "-1", "ten"] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn one_row_more_than_a_page_means_a_next_page_from_the_last_kept() {
        let mut items = vec![5, 4, 3];
        assert_eq!(cut(&mut items, 2, |i| i.to_string()), Some("4".into()));
        assert_eq!(items, [5, 4]);
        let mut items = vec![5, 4];
        assert_eq!(cut(&mut items, 2, |i| i.to_string()), None);
    }
}
