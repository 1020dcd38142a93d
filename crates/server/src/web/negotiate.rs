//! Reading the request headers that choose a representation: `Accept-Encoding` (which precompressed
//! variant to send) and `If-None-Match` (whether the client's copy is still current).
//!
//! Pure functions of header values: no I/O, no knowledge of paths or caching rules.

use axum::http::HeaderValue;

/// A content coding the server can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Br,
    Gzip,
}

impl Encoding {
    /// The `Content-Encoding` value, none for identity.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Br => Some("br"),
            Self::Gzip => Some("gzip"),
        }
    }
}

/// The coding to send given the request's `Accept-Encoding` and which variants exist.
///
/// Among the variants the client accepts (`q` above 0; `*` covers codings it does not name), the one with
/// the highest `q` wins, ties going to br, then gzip. Without any acceptable variant, identity: a client
/// that refuses identity too still gets it rather than a 406 (as most servers do).
pub fn choose(accept: Option<&HeaderValue>, has_br: bool, has_gzip: bool) -> Encoding {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let (mut br, mut gzip, mut star) = (None, None, None);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        // A malformed q counts as refusal rather than acceptance.
        let q = parts
            .find_map(|p| {
                let (name, value) = p.split_once('=')?;
                let q = value.trim().parse::<f32>().unwrap_or(0.0);
                name.trim().eq_ignore_ascii_case("q").then_some(q)
            })
            .unwrap_or(1.0);
        let q = if q.is_finite() {
            q.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match coding.as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gzip = Some(q),
            "*" => star = Some(q),
            _ => {}
        }
    }
    let q_br = br.or(star).unwrap_or(0.0);
    let q_gzip = gzip.or(star).unwrap_or(0.0);
    let candidates = [
        (Encoding::Br, has_br, q_br),
        (Encoding::Gzip, has_gzip, q_gzip),
    ];
    let mut best: Option<(Encoding, f32)> = None;
    for (encoding, present, q) in candidates {
        if present && q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((encoding, q));
        }
    }
    best.map_or(Encoding::Identity, |(e, _)| e)
}

/// Whether an `If-None-Match` value names one of `etags` (or is `*`). Weak tags (`W/"…"`) compare by their
/// opaque part, as the weak comparison RFC 9110 prescribes for `If-None-Match`.
pub fn none_match<'a>(
    if_none_match: &HeaderValue,
    etags: impl IntoIterator<Item = &'a HeaderValue>,
) -> bool {
    let Ok(value) = if_none_match.to_str() else {
        return false;
    };
    let wanted: Vec<&str> = value
        .split(',')
        .map(|t| {
            let t = t.trim();
            t.strip_prefix("W/").unwrap_or(t)
        })
        .filter(|t| !t.is_empty())
        .collect();
    if wanted.contains(&"*") {
        return true;
    }
    etags
        .into_iter()
        .any(|tag| tag.to_str().is_ok_and(|tag| wanted.contains(&tag)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(accept: &str) -> Encoding {
        choose(Some(&HeaderValue::from_str(accept).unwrap()), true, true)
    }

    #[test]
    fn br_is_preferred_then_gzip_then_identity() {
        assert_eq!(pick("gzip, deflate, br, zstd"), Encoding::Br);
        assert_eq!(pick("gzip"), Encoding::Gzip);
        assert_eq!(pick("x-gzip"), Encoding::Gzip);
        assert_eq!(pick("identity"), Encoding::Identity);
        assert_eq!(pick(""), Encoding::Identity);
        assert_eq!(choose(None, true, true), Encoding::Identity);
    }

    #[test]
    fn q_values_are_read_and_zero_refuses() {
        assert_eq!(pick("br;q=0, gzip"), Encoding::Gzip);
        assert_eq!(pick("br;q=0"), Encoding::Identity);
        assert_eq!(pick("br; q=0.5, gzip; q=0.8"), Encoding::Gzip);
        assert_eq!(pick("br;q=1.0, gzip;q=1"), Encoding::Br);
        assert_eq!(pick("*"), Encoding::Br);
        assert_eq!(pick("*;q=0.3, br;q=0"), Encoding::Gzip);
        assert_eq!(pick("gzip;q=0, br;q=nonsense"), Encoding::Identity);
        assert_eq!(pick("BR;Q=0.9"), Encoding::Br);
    }

    #[test]
    fn only_existing_variants_are_chosen() {
        let v = HeaderValue::from_static("br, gzip");
        assert_eq!(choose(Some(&v), false, true), Encoding::Gzip);
        assert_eq!(choose(Some(&v), false, false), Encoding::Identity);
    }

    #[test]
    fn if_none_match_handles_lists_weak_tags_and_star() {
        let tags = [
            HeaderValue::from_static("\"abc\""),
            HeaderValue::from_static("\"abc-br\""),
        ];
        let m = |v: &'static str| none_match(&HeaderValue::from_static(v), &tags);
        assert!(m("\"abc\""));
        assert!(m("\"x\", W/\"abc-br\""));
        assert!(m("*"));
        assert!(!m("\"abcd\""));
        assert!(!m("abc"));
        assert!(!m(""));
    }
}
