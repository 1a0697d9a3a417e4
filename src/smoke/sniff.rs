//! What kind of media a file is, from its first bytes (not from its name or MIME type).

use std::fmt;

/// A media kind the inference gate recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// WebP image.
    Webp,
    /// GIF image.
    Gif,
    /// MP4 (ISO BMFF) video.
    Mp4,
    /// WebM (Matroska) video.
    Webm,
}

impl MediaKind {
    /// Whether it is a still image.
    pub fn is_image(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg | Self::Webp | Self::Gif)
    }

    /// Whether it is a video.
    pub fn is_video(self) -> bool {
        matches!(self, Self::Mp4 | Self::Webm)
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Webp => "WEBP",
            Self::Gif => "GIF",
            Self::Mp4 => "MP4",
            Self::Webm => "WEBM",
        })
    }
}

/// The media kind of `bytes`, or `None` for anything else (including empty input).
pub fn sniff(bytes: &[u8]) -> Option<MediaKind> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(MediaKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MediaKind::Jpeg)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(MediaKind::Webp)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(MediaKind::Gif)
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        Some(MediaKind::Mp4)
    } else if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(MediaKind::Webm)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_known_signature_is_recognised() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(MediaKind::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F']), Some(MediaKind::Jpeg));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(MediaKind::Webp));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Some(MediaKind::Gif));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0\0\x02\0"), Some(MediaKind::Mp4));
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81]), Some(MediaKind::Webm));
    }

    #[test]
    fn empty_text_and_truncated_input_are_not_media() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"<html>error</html>"), None);
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVE"), None);
        assert_eq!(sniff(b"\x89PN"), None);
    }

    #[test]
    fn images_and_videos_are_told_apart() {
        assert!(MediaKind::Webp.is_image() && !MediaKind::Webp.is_video());
        assert!(MediaKind::Webm.is_video() && !MediaKind::Webm.is_image());
    }
}
