//! What a file really is, from its first bytes (never from its name or the
//! client's Content-Type), and a safe name to store and serve it under.

/// How many leading bytes [`sniff`] looks at.
pub const SNIFF_BYTES: usize = 8192;

/// The MIME type of content starting with `head`. Markup that a browser would
/// run (HTML, SVG, XML) is named as such so that it is never served inline;
/// other text is `text/plain`; anything unknown is `application/octet-stream`.
pub fn sniff(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        let m = kind.mime_type();
        // infer calls any XML "text/xml"; an SVG is XML that says so.
        if (m == "text/xml" || m == "application/xml") && contains_ci(head, b"<svg") {
            return "image/svg+xml".into();
        }
        return m.into();
    }
    if contains_ci(head, b"<svg") {
        return "image/svg+xml".into();
    }
    if contains_ci(head, b"<html") || contains_ci(head, b"<script") || contains_ci(head, b"<!doctype html") {
        return "text/html".into();
    }
    if looks_like_text(head) {
        return "text/plain".into();
    }
    "application/octet-stream".into()
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// UTF-8 (a sequence cut at the end of `head` is fine) without control bytes
/// other than whitespace.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
        Err(_) => return false,
    };
    !valid.is_empty() && !valid.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

/// A file name safe to store and to put in a header: no directories, no
/// control characters, no direction overrides (`\u{202E}gnp.exe` would show
/// as `exe.png`) or invisible spaces, not blank, at most 255 characters (keeping the
/// extension when shortening).
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = base
        .chars()
        .filter(|c| !c.is_control() && !crate::core::text::is_spoofing(*c))
        .collect::<String>()
        .trim()
        .to_string();
    if name.is_empty() || name == "." || name == ".." {
        name = "file".into();
    }
    if name.chars().count() > 255 {
        let ext: String = match name.rsplit_once('.') {
            Some((_, e)) if e.chars().count() <= 16 => format!(".{e}"),
            _ => String::new(),
        };
        let keep = 255 - ext.chars().count();
        name = name.chars().take(keep).collect::<String>() + &ext;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), "image/gif");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(b"hello, world\n"), "text/plain");
        assert_eq!(sniff(&[0u8, 1, 2, 3, 200, 201]), "application/octet-stream");
    }

    #[test]
    fn markup_is_recognised_whatever_the_name() {
        assert_eq!(sniff(b"<html><script>alert(1)</script></html>"), "text/html");
        assert_eq!(sniff(b"  <!DOCTYPE html><p>x"), "text/html");
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>"),
            "image/svg+xml"
        );
        assert_eq!(sniff(b"<svg onload=alert(1)>"), "image/svg+xml");
        assert_eq!(sniff(b"note <script>x</script>"), "text/html");
    }

    #[test]
    fn text_cut_mid_character_is_still_text() {
        let mut s = "héllo ".repeat(10).into_bytes();
        s.push(0xc3);
        assert_eq!(sniff(&s), "text/plain");
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\x\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("a\u{0}b\r\n.txt"), "ab.txt");
        assert_eq!(clean_name("  "), "file");
        let long = format!("{}.png", "x".repeat(400));
        let c = clean_name(&long);
        assert_eq!(c.chars().count(), 255);
        assert!(c.ends_with(".png"));
    }
}
