//! Characters that make text lie about itself. Bidirectional overrides,
//! embeddings and isolates reorder what follows them (`\u{202E}gnp.exe`
//! shows as `exe.png`), and zero-width spaces, word joiners and byte-order
//! marks make two names that look the same compare different. Names (people,
//! files) refuse or drop them; message text keeps them, because there they
//! are rendered inside their own element and cannot reach outside it.
//!
//! [`mixed_script_word`] finds the other trick, letters of one alphabet that
//! look like another's (`\u{410}lice` with a Cyrillic A).
//!
//! Zero-width joiners and non-joiners (U+200D, U+200C) are not here: emoji
//! sequences and Persian or Indic scripts need them.

/// Whether `c` reorders text or is invisible without a purpose in a name.
pub fn is_spoofing(c: char) -> bool {
    matches!(c,
        '\u{202A}'..='\u{202E}' // LRE, RLE, PDF, LRO, RLO
        | '\u{2066}'..='\u{2069}' // LRI, RLI, FSI, PDI
        | '\u{200B}' // zero-width space
        | '\u{200E}' | '\u{200F}' // LRM, RLM
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{FEFF}' // byte-order mark
        | '\u{061C}' // Arabic letter mark
    )
}

/// `s` without [`is_spoofing`] characters.
pub fn without_spoofing(s: &str) -> String {
    s.chars().filter(|c| !is_spoofing(*c)).collect()
}

/// The first word of `s` that mixes scripts (Latin with Cyrillic, say:
/// `\u{410}lice`), the usual way to impersonate someone's name. Scripts that
/// are written together (Japanese kanji with kana) count as one (UTS #39).
#[cfg(feature = "ssr")]
pub fn mixed_script_word(s: &str) -> Option<&str> {
    use unicode_security::MixedScript;
    s.split_whitespace().find(|w| !w.is_single_script())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_and_invisibles_go_joiners_stay() {
        assert_eq!(without_spoofing("\u{202E}gnp.exe"), "gnp.exe");
        assert_eq!(without_spoofing("admin\u{200B}"), "admin");
        assert_eq!(without_spoofing("\u{2066}x\u{2069}\u{FEFF}"), "x");
        let family = "\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(without_spoofing(family), family);
        assert!(!is_spoofing('\u{200C}'));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn homoglyph_words_are_found_real_names_are_not() {
        assert_eq!(mixed_script_word("\u{410}lice Smith"), Some("\u{410}lice"));
        assert_eq!(mixed_script_word("paypa\u{4CF}"), Some("paypa\u{4CF}"));
        for ok in ["Alice Smith", "Анна Петрова", "山田 たろう", "José-María O'Neil", "Zoë 🎉", "李小龍"]
        {
            assert_eq!(mixed_script_word(ok), None, "{ok}");
        }
    }
}
