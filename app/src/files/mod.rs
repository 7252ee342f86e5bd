//! Files: images and documents shared into messages.
//!
//! Why it is shaped this way:
//! - uploads stream to a temporary file while being hashed and counted, so a
//!   25 MB upload never sits in memory and a 25 MB + 1 byte one is refused
//!   before anything is stored ([`upload`]);
//! - content is stored once per workspace per sha256 (a `blob`); every upload
//!   is its own `file` row, shared into exactly one message, and access to a
//!   file is read access to that message's channel;
//! - the type is sniffed from the bytes; only PNG, JPEG, GIF and WebP are ever
//!   served inline, everything else is an attachment, and everything carries
//!   `nosniff` and a sandboxing CSP ([`serve`]);
//! - image metadata (EXIF, GPS, XMP, text chunks) is stripped before storing,
//!   and thumbnails are made in the background ([`images`]).

#[cfg(feature = "ssr")]
pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
mod background;
#[cfg(feature = "ssr")]
pub mod blobs;
#[cfg(feature = "ssr")]
pub mod images;
#[cfg(feature = "ssr")]
pub mod pictures;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod serve;
#[cfg(feature = "ssr")]
pub mod sniff;
#[cfg(feature = "ssr")]
pub mod store;
pub mod tray;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod upload;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// The largest file, in bytes: 25 MB (25 × 1024 × 1024).
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;
/// The most files one message may carry.
pub const MAX_FILES_PER_MESSAGE: usize = 10;
/// The longest side of a thumbnail, in pixels.
pub const THUMB_MAX: u32 = 360;

/// A shared file as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    pub id: Uuid,
    pub name: String,
    /// Sniffed from the content.
    pub mimetype: String,
    pub size: i64,
    /// Where to download it (same origin, needs access to the channel).
    pub url: String,
    /// A thumbnail of at most 360 px, for images.
    pub thumb_url: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub channel: Uuid,
    pub seq: i64,
    pub user: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl FileInfo {
    /// Whether it shows inline as a picture.
    pub fn is_image(&self) -> bool {
        is_inline_image(&self.mimetype)
    }

    /// Whether the browser can show it safely in a preview (PDF, plain text).
    pub fn has_preview(&self) -> bool {
        self.mimetype == "application/pdf" || self.mimetype == "text/plain"
    }

    /// The display size of the thumbnail, keeping the aspect ratio.
    pub fn thumb_size(&self) -> (u32, u32) {
        match (self.width, self.height) {
            (Some(w), Some(h)) if w > 0 && h > 0 => fit(w as u32, h as u32, THUMB_MAX),
            _ => (THUMB_MAX, THUMB_MAX * 3 / 4),
        }
    }
}

/// The types served inline as images: never SVG (it can carry script).
pub fn is_inline_image(mimetype: &str) -> bool {
    matches!(mimetype, "image/png" | "image/jpeg" | "image/gif" | "image/webp")
}

/// Scales `w`×`h` down so that neither side exceeds `max` (never up).
pub fn fit(w: u32, h: u32, max: u32) -> (u32, u32) {
    if w <= max && h <= max {
        return (w.max(1), h.max(1));
    }
    if w >= h {
        (max, ((h as u64 * max as u64) / w as u64).max(1) as u32)
    } else {
        (((w as u64 * max as u64) / h as u64).max(1) as u32, max)
    }
}

/// `1.5 MB`, `320 KB`, `12 B`.
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.0} KB", b / KB)
    } else if b < KB * KB * KB {
        format!("{:.1} MB", b / KB / KB)
    } else {
        format!("{:.1} GB", b / KB / KB / KB)
    }
}

/// A short label for a file card's icon, from the type (or, before upload,
/// when the type is not known yet, from the name's extension).
pub fn kind_label(mimetype: &str, name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match mimetype {
        "application/pdf" => "PDF",
        m if m.starts_with("image/") => "IMG",
        m if m.starts_with("video/") => "VID",
        m if m.starts_with("audio/") => "AUD",
        "application/zip" | "application/gzip" | "application/x-tar" | "application/x-7z-compressed" => "ZIP",
        m if m.contains("spreadsheet") || m.contains("excel") => "XLS",
        m if m.contains("word") => "DOC",
        m if m.contains("presentation") || m.contains("powerpoint") => "PPT",
        "" | "text/plain" | "text/csv" | "application/octet-stream" => match ext.as_str() {
            "pdf" if mimetype.is_empty() => "PDF",
            "png" | "jpg" | "jpeg" | "gif" | "webp" if mimetype.is_empty() => "IMG",
            "zip" | "gz" | "tgz" | "7z" if mimetype.is_empty() => "ZIP",
            "csv" => "CSV",
            "md" => "MD",
            "txt" | "log" => "TXT",
            _ if mimetype.starts_with("text/") => "TXT",
            _ => "FILE",
        },
        _ => "FILE",
    }
}

/// Why a chosen file cannot be uploaded, checked in the browser before any
/// byte is sent (the server checks again while streaming).
pub fn precheck(name: &str, size: u64) -> Result<(), String> {
    if size == 0 {
        return Err(format!("{name} is empty."));
    }
    if size > MAX_FILE_BYTES {
        return Err(format!("{name} is {}; files can be at most 25 MB.", human_size(size)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_slack() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(320 * 1024), "320 KB");
        assert_eq!(human_size(MAX_FILE_BYTES), "25.0 MB");
    }

    #[test]
    fn thumbnails_keep_the_aspect_ratio_and_never_grow() {
        assert_eq!(fit(1920, 1080, 360), (360, 202));
        assert_eq!(fit(1080, 1920, 360), (202, 360));
        assert_eq!(fit(100, 50, 360), (100, 50));
        assert_eq!(fit(10_000, 1, 360), (360, 1));
    }

    #[test]
    fn svg_and_html_are_never_inline_images() {
        assert!(is_inline_image("image/png") && is_inline_image("image/webp"));
        assert!(!is_inline_image("image/svg+xml") && !is_inline_image("text/html"));
    }

    #[test]
    fn too_large_files_are_refused_before_upload() {
        assert!(precheck("a.bin", MAX_FILE_BYTES).is_ok());
        let e = precheck("big.mov", MAX_FILE_BYTES + 1).unwrap_err();
        assert!(e.contains("big.mov") && e.contains("25 MB"), "{e}");
        assert!(precheck("e.txt", 0).is_err());
        assert_eq!(kind_label("application/pdf", "x.pdf"), "PDF");
        assert_eq!(kind_label("text/plain", "notes.csv"), "CSV");
        assert_eq!(kind_label("", "Report.PDF"), "PDF");
        assert_eq!(
            kind_label("application/octet-stream", "x.pdf"),
            "FILE",
            "a sniffed type wins over the name"
        );
    }
}
