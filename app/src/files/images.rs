//! Image work: stripping metadata, reading dimensions, making thumbnails.
//! Everything here is CPU-bound and synchronous; callers run it on the
//! blocking pool.
//!
//! Metadata is removed losslessly at the container level (JPEG APP1/APP13
//! segments, PNG text and eXIf chunks, WebP EXIF/XMP chunks), so the pixels a
//! user uploaded are the pixels others download, minus where it was taken.

use std::io::Cursor;

use bytes::Bytes;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use img_parts::jpeg::{markers, Jpeg};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::ImageEXIF;

use super::THUMB_MAX;

/// The bytes without metadata, or `None` when there was nothing to strip
/// (or the container could not be parsed; it is then stored as uploaded and
/// decoding for the thumbnail will fail safely).
pub fn strip_metadata(mimetype: &str, bytes: Bytes) -> Option<Bytes> {
    match mimetype {
        "image/jpeg" => {
            let mut jpeg = Jpeg::from_bytes(bytes).ok()?;
            let before = jpeg.segments().len();
            // APP1 holds EXIF (with GPS) and XMP; APP13 holds IPTC/Photoshop data.
            jpeg.remove_segments_by_marker(markers::APP1);
            jpeg.remove_segments_by_marker(markers::APP13);
            jpeg.remove_segments_by_marker(markers::COM);
            (jpeg.segments().len() != before).then(|| jpeg.encoder().bytes())
        }
        "image/png" => {
            let mut png = Png::from_bytes(bytes).ok()?;
            let before = png.chunks().len();
            for kind in [*b"eXIf", *b"tEXt", *b"zTXt", *b"iTXt", *b"tIME"] {
                png.remove_chunks_by_type(kind);
            }
            (png.chunks().len() != before).then(|| png.encoder().bytes())
        }
        "image/webp" => {
            let mut webp = WebP::from_bytes(bytes).ok()?;
            let had = webp.exif().is_some() || webp.has_chunk(*b"XMP ");
            if !had {
                return None;
            }
            webp.remove_chunks_by_id(*b"XMP ");
            // set_exif also fixes the VP8X header flags.
            webp.set_exif(None);
            Some(webp.encoder().bytes())
        }
        _ => None,
    }
}

fn limits() -> Limits {
    let mut l = Limits::default();
    // A decompression bomb is refused instead of eating the server's memory.
    l.max_image_width = Some(20_000);
    l.max_image_height = Some(20_000);
    l.max_alloc = Some(512 * 1024 * 1024);
    l
}

fn reader(bytes: &[u8]) -> Option<ImageReader<Cursor<&[u8]>>> {
    let mut r = ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    r.limits(limits());
    Some(r)
}

/// Width and height, read from the header only.
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    reader(bytes)?.into_dimensions().ok()
}

/// A thumbnail whose longer side is at most 360 px, re-encoded (so it has no
/// metadata): JPEG for photos, PNG otherwise (keeps transparency). Returns
/// the bytes, their type and the thumbnail's size.
pub fn thumbnail(bytes: &[u8]) -> Result<(Vec<u8>, &'static str, u32, u32), String> {
    let r = reader(bytes).ok_or("unknown image format")?;
    let format = r.format();
    let img = r.decode().map_err(|e| e.to_string())?;
    let small = if img.width() > THUMB_MAX || img.height() > THUMB_MAX {
        img.thumbnail(THUMB_MAX, THUMB_MAX)
    } else {
        img
    };
    let (w, h) = (small.width(), small.height());
    let mut out = Cursor::new(Vec::new());
    if format == Some(ImageFormat::Jpeg) {
        DynamicImage::ImageRgb8(small.to_rgb8())
            .write_to(&mut out, ImageFormat::Jpeg)
            .map_err(|e| e.to_string())?;
        Ok((out.into_inner(), "image/jpeg", w, h))
    } else {
        small.write_to(&mut out, ImageFormat::Png).map_err(|e| e.to_string())?;
        Ok((out.into_inner(), "image/png", w, h))
    }
}

/// Where to cut a square out of an image, in the image's own pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crop {
    pub x: u32,
    pub y: u32,
    pub size: u32,
}

/// A square picture (a profile photo, a workspace icon) in each of `sizes`:
/// the `crop` (moved and shrunk to fit inside the image), or the centred
/// square. Re-encoded, so no metadata survives: PNG when the image has
/// transparency, JPEG otherwise. Returns the encodings and their type.
pub fn square(
    bytes: &[u8],
    crop: Option<Crop>,
    sizes: &[u32],
) -> Result<(Vec<Vec<u8>>, &'static str), String> {
    let img = reader(bytes).ok_or("unknown image format")?.decode().map_err(|e| e.to_string())?;
    let (w, h) = (img.width(), img.height());
    let most = w.min(h).max(1);
    let (x, y, side) = match crop {
        Some(c) => {
            let side = c.size.clamp(1, most);
            (c.x.min(w - side), c.y.min(h - side), side)
        }
        None => ((w - most) / 2, (h - most) / 2, most),
    };
    let cut = img.crop_imm(x, y, side, side);
    let alpha = cut.color().has_alpha();
    let mut out = Vec::with_capacity(sizes.len());
    for &s in sizes {
        let scaled = cut.resize_exact(s, s, image::imageops::FilterType::CatmullRom);
        let mut buf = Cursor::new(Vec::new());
        let written = if alpha {
            scaled.write_to(&mut buf, ImageFormat::Png)
        } else {
            DynamicImage::ImageRgb8(scaled.to_rgb8()).write_to(&mut buf, ImageFormat::Jpeg)
        };
        written.map_err(|e| e.to_string())?;
        out.push(buf.into_inner());
    }
    Ok((out, if alpha { "image/png" } else { "image/jpeg" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30])));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(w, h, image::Rgba([0, 0, 255, 128])));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn exif_with_gps_is_removed_from_jpeg() {
        let mut j = Jpeg::from_bytes(Bytes::from(jpeg(40, 30))).unwrap();
        j.set_exif(Some(Bytes::from_static(b"MM\0*\0\0\0\x08GPSLatitude=52.37")));
        let with_exif = j.encoder().bytes();
        assert!(with_exif.windows(11).any(|w| w == b"GPSLatitude"));
        let clean = strip_metadata("image/jpeg", with_exif).expect("something stripped");
        assert!(!clean.windows(11).any(|w| w == b"GPSLatitude"));
        assert!(!clean.windows(4).any(|w| w == b"Exif"));
        assert_eq!(dimensions(&clean), Some((40, 30)), "still a valid image");
    }

    #[test]
    fn png_text_chunks_are_removed_and_clean_files_are_untouched() {
        let plain = Bytes::from(png(8, 8));
        assert!(strip_metadata("image/png", plain.clone()).is_none());
        let mut p = Png::from_bytes(plain).unwrap();
        let chunk = img_parts::png::PngChunk::new(*b"tEXt", Bytes::from_static(b"Comment\0taken at home"));
        let at = p.chunks().len() - 1;
        p.chunks_mut().insert(at, chunk);
        let clean = strip_metadata("image/png", p.encoder().bytes()).unwrap();
        assert!(!clean.windows(7).any(|w| w == b"at home"));
        assert_eq!(dimensions(&clean), Some((8, 8)));
    }

    #[test]
    fn squares_are_cut_where_asked_and_kept_inside_the_image() {
        let (out, mime) = square(&jpeg(300, 200), None, &[64, 16]).unwrap();
        assert_eq!(mime, "image/jpeg");
        assert_eq!((dimensions(&out[0]), dimensions(&out[1])), (Some((64, 64)), Some((16, 16))));
        // A crop hanging over the edge is moved inside; a huge one shrinks.
        let crop = Some(Crop { x: 290, y: 190, size: 1000 });
        let (out, _) = square(&jpeg(300, 200), crop, &[32]).unwrap();
        assert_eq!(dimensions(&out[0]), Some((32, 32)));
        let (_, mime) = square(&png(10, 30), None, &[8]).unwrap();
        assert_eq!(mime, "image/png", "transparency is kept");
        assert!(square(b"GIF89a nonsense", None, &[8]).is_err());
    }

    #[test]
    fn thumbnails_fit_in_360_and_keep_transparency() {
        let (bytes, mime, w, h) = thumbnail(&jpeg(1200, 600)).unwrap();
        assert_eq!((mime, w, h), ("image/jpeg", 360, 180));
        assert_eq!(dimensions(&bytes), Some((360, 180)));
        let (_, mime, w, h) = thumbnail(&png(100, 50)).unwrap();
        assert_eq!((mime, w, h), ("image/png", 100, 50));
        assert!(thumbnail(b"not an image").is_err());
    }
}
