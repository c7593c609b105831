//! Which browser origins may call a survey's public endpoints (CORS), and the admin
//! token check. A survey lists patterns: an exact origin (`https://shop.example`),
//! a subdomain wildcard (`https://*.shop.example`), any port (`http://localhost:*`),
//! or `*` for anywhere.

use subtle::ConstantTimeEq;

/// Whether `origin` (as the browser sends it in `Origin`) matches one of `patterns`.
pub fn is_allowed(patterns: &[String], origin: &str) -> bool {
    let Some(origin) = Origin::parse(origin) else {
        return false;
    };
    patterns
        .iter()
        .any(|p| p == "*" || Origin::parse(p).is_some_and(|pattern| pattern.admits(&origin)))
}

/// Whether `pattern` is something [`is_allowed`] understands.
pub fn is_valid_pattern(pattern: &str) -> bool {
    pattern == "*" || Origin::parse(pattern).is_some()
}

/// The CSP `frame-ancestors` sources of a page that may be framed by the sites a
/// survey allows: its own origin always, each valid pattern as a source expression
/// (the pattern syntax is CSP's: `https://*.shop.example`, `http://localhost:*`), and
/// `*` as any http(s) site. Patterns are checked again so that nothing stored can
/// end the directive.
pub fn frame_ancestors(patterns: &[String]) -> String {
    let mut sources = vec!["'self'".to_string()];
    for pattern in patterns.iter().filter(|p| is_valid_pattern(p)) {
        let source = if pattern == "*" {
            "https: http:".to_string()
        } else {
            pattern
                .strip_suffix('/')
                .unwrap_or(pattern)
                .to_ascii_lowercase()
        };
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    format!("frame-ancestors {}", sources.join(" "))
}

/// Compares an admin token without leaking through timing how much of it matched,
/// nor its length: both sides are hashed to 32 bytes first, then compared in
/// constant time.
pub fn tokens_match(expected: &str, given: &str) -> bool {
    use sha2::{Digest, Sha256};
    let expected_hash = Sha256::digest(expected.as_bytes());
    let given_hash = Sha256::digest(given.as_bytes());
    !expected.is_empty() && bool::from(expected_hash.as_slice().ct_eq(given_hash.as_slice()))
}

struct Origin<'a> {
    scheme: &'a str,
    host: String,
    port: Option<&'a str>,
}

impl<'a> Origin<'a> {
    fn parse(text: &'a str) -> Option<Origin<'a>> {
        let text = text.strip_suffix('/').unwrap_or(text);
        let (scheme, rest) = text.split_once("://")?;
        if !matches!(scheme, "http" | "https")
            || rest.is_empty()
            || rest.contains(['/', '?', '#', '@'])
        {
            return None;
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port))
                if port == "*"
                    || (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())) =>
            {
                (host, Some(port))
            }
            Some(_) => return None,
            None => (rest, None),
        };
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'*'))
            && (!host.contains('*') || (host.starts_with("*.") && !host[2..].contains('*')));
        host_ok.then(|| Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    fn default_port(&self) -> &'a str {
        if self.scheme == "https" { "443" } else { "80" }
    }

    fn admits(&self, origin: &Origin<'_>) -> bool {
        let host_ok = match self.host.strip_prefix("*.") {
            Some(domain) => {
                origin.host.len() > domain.len() + 1 && origin.host.ends_with(&format!(".{domain}"))
            }
            None => self.host == origin.host,
        };
        let port_ok = match self.port {
            Some("*") => true,
            mine => {
                mine.unwrap_or(self.default_port()) == origin.port.unwrap_or(origin.default_port())
            }
        };
        self.scheme == origin.scheme && host_ok && port_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(patterns: &[&str], origin: &str) -> bool {
        is_allowed(
            &patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            origin,
        )
    }

    #[test]
    fn exact_origins_match_only_themselves() {
        assert!(allowed(&["https://shop.example"], "https://shop.example"));
        assert!(allowed(
            &["https://shop.example"],
            "https://SHOP.example:443"
        ));
        assert!(!allowed(&["https://shop.example"], "http://shop.example"));
        assert!(!allowed(
            &["https://shop.example"],
            "https://shop.example.evil.test"
        ));
        assert!(!allowed(
            &["https://shop.example"],
            "https://shop.example:8443"
        ));
    }

    #[test]
    fn a_subdomain_wildcard_excludes_the_apex_and_lookalikes() {
        let p = ["https://*.shop.example"];
        assert!(allowed(&p, "https://de.shop.example"));
        assert!(!allowed(&p, "https://shop.example"));
        assert!(!allowed(&p, "https://evilshop.example"));
    }

    #[test]
    fn a_port_wildcard_admits_any_port() {
        assert!(allowed(&["http://localhost:*"], "http://localhost:8787"));
        assert!(allowed(&["http://localhost:*"], "http://localhost"));
        assert!(!allowed(&["http://localhost:*"], "http://127.0.0.1:8787"));
    }

    #[test]
    fn star_admits_everything_and_nothing_admits_garbage() {
        assert!(allowed(&["*"], "https://anything.example"));
        assert!(!allowed(&["*"], "null"));
        assert!(!allowed(&[], "https://shop.example"));
    }

    #[test]
    fn patterns_are_checked_for_shape() {
        for ok in [
            "*",
            "https://a.example",
            "http://localhost:*",
            "https://*.a.example",
        ] {
            assert!(is_valid_pattern(ok), "{ok}");
        }
        for bad in [
            "a.example",
            "ftp://a.example",
            "https://a.example/path",
            "https://a*.example",
            "",
        ] {
            assert!(!is_valid_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn frame_ancestors_lists_the_allowed_origins_and_drops_anything_else() {
        let patterns: Vec<String> = [
            "https://shop.example/",
            "http://localhost:*",
            "https://*.Shop.example",
            "https://x.example; script-src *",
            "'unsafe-inline'",
        ]
        .iter()
        .map(|p| p.to_string())
        .collect();
        assert_eq!(
            frame_ancestors(&patterns),
            "frame-ancestors 'self' https://shop.example http://localhost:* https://*.shop.example"
        );
        assert_eq!(frame_ancestors(&[]), "frame-ancestors 'self'");
        assert_eq!(
            frame_ancestors(&["*".to_string()]),
            "frame-ancestors 'self' https: http:"
        );
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(tokens_match("secret", "secret"));
        assert!(!tokens_match("secret", "secre"));
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("secret", "secret\u{0}"));
        assert!(!tokens_match("secret", &"secret".repeat(1000)));
    }
}
