//! How a stored file is served: which type and disposition it gets, the
//! security headers, and byte ranges. Pure functions, so the rules are
//! unit-tested apart from HTTP plumbing.

use std::ops::Range;

use super::is_inline_image;

/// Sent with every file: no script, no plugins, no same-origin powers, even
/// if a browser were talked into rendering the bytes as a document.
pub const CSP: &str = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

/// The `Content-Type` and whether the file may be shown inline.
///
/// Images (PNG, JPEG, GIF, WebP) are inline. With `preview`, PDFs and plain
/// text are too (text as `text/plain`, which never runs). Everything else,
/// including HTML and SVG, is an attachment, and markup is served as
/// `application/octet-stream` so that no type ever invites rendering.
pub fn presentation(mimetype: &str, preview: bool) -> (&str, bool) {
    if is_inline_image(mimetype) {
        return (mimetype, true);
    }
    match mimetype {
        "application/pdf" => ("application/pdf", preview),
        "text/plain" => ("text/plain; charset=utf-8", preview),
        m if is_markup(m) => ("application/octet-stream", false),
        m => (m, false),
    }
}

fn is_markup(m: &str) -> bool {
    m.starts_with("text/")
        || m.contains("xml")
        || m.contains("html")
        || m.contains("javascript")
        || m == "image/svg+xml"
}

/// `Content-Disposition` with the name in both forms (RFC 6266): a plain
/// ASCII fallback and the exact UTF-8 name.
pub fn disposition(name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Ranged {
    /// No (usable) range: send everything with 200.
    Full,
    /// One satisfiable range: send it with 206.
    Part(Range<u64>),
    /// Nothing in the file matches: 416.
    Unsatisfiable,
}

/// Parses a single `bytes=` range. Multiple ranges are answered with the
/// whole file, which RFC 9110 allows.
pub fn parse_range(header: Option<&str>, size: u64) -> Ranged {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ranged::Full;
    };
    if spec.contains(',') {
        return Ranged::Full;
    }
    let Some((a, b)) = spec.split_once('-') else { return Ranged::Full };
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (Some(start), end) if a.len() == a.trim().len() => {
            if end.is_none() && !b.is_empty() {
                return Ranged::Full;
            }
            if start >= size {
                return Ranged::Unsatisfiable;
            }
            let end = end.map_or(size - 1, |e| e.min(size - 1));
            if end < start {
                return Ranged::Full;
            }
            start..end + 1
        }
        (None, Some(suffix)) if a.is_empty() => {
            if suffix == 0 || size == 0 {
                return Ranged::Unsatisfiable;
            }
            size.saturating_sub(suffix)..size
        }
        _ => return Ranged::Full,
    };
    Ranged::Part(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_images_are_inline() {
        assert_eq!(presentation("image/png", false), ("image/png", true));
        assert_eq!(presentation("image/svg+xml", true), ("application/octet-stream", false));
        assert_eq!(presentation("text/html", true), ("application/octet-stream", false));
        assert_eq!(presentation("application/pdf", false), ("application/pdf", false));
        assert_eq!(presentation("application/pdf", true), ("application/pdf", true));
        assert_eq!(presentation("text/plain", true), ("text/plain; charset=utf-8", true));
        assert_eq!(presentation("application/zip", true), ("application/zip", false));
    }

    #[test]
    fn names_survive_in_headers_without_breaking_them() {
        let d = disposition("Résumé \"final\".pdf", false);
        assert!(d.starts_with("attachment; filename=\"R_sum_ _final_.pdf\"; "), "{d}");
        assert!(d.ends_with("filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.pdf"), "{d}");
        assert!(disposition("a.png", true).starts_with("inline;"));
        assert!(!disposition("x\r\nSet-Cookie: a=b", false).contains('\n'));
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range(None, 100), Ranged::Full);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), Ranged::Part(0..10));
        assert_eq!(parse_range(Some("bytes=90-"), 100), Ranged::Part(90..100));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Ranged::Part(90..100));
        assert_eq!(parse_range(Some("bytes=50-1000"), 100), Ranged::Part(50..100));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Ranged::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Ranged::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Ranged::Full);
        assert_eq!(parse_range(Some("bytes=9-3"), 100), Ranged::Full);
        assert_eq!(parse_range(Some("items=0-3"), 100), Ranged::Full);
        assert_eq!(parse_range(Some("bytes=x-3"), 100), Ranged::Full);
    }
}
