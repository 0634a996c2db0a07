//! Telling the type of an upload from its bytes (magic numbers), and checking the declared type.

use natter_protocol::MediaKind;

use crate::error::UploadError;

/// What the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: MediaKind,
    /// The canonical type we store and serve it as.
    pub mime: &'static str,
}

/// The types we accept: (type the sniffer reports, kind, canonical type).
const ACCEPTED: [(&str, MediaKind, &str); 9] = [
    ("image/jpeg", MediaKind::Image, "image/jpeg"),
    ("image/png", MediaKind::Image, "image/png"),
    ("image/gif", MediaKind::Image, "image/gif"),
    ("image/webp", MediaKind::Image, "image/webp"),
    ("video/webm", MediaKind::Voice, "audio/webm"),
    ("audio/ogg", MediaKind::Voice, "audio/ogg"),
    ("audio/opus", MediaKind::Voice, "audio/ogg"),
    ("video/mp4", MediaKind::Voice, "audio/mp4"),
    ("audio/m4a", MediaKind::Voice, "audio/mp4"),
];

/// Sniffs the type from the first bytes; anything not accepted is a 415.
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, UploadError> {
    let found = infer::get(bytes).map(|t| t.mime_type());
    ACCEPTED
        .iter()
        .find(|(sniffed, _, _)| Some(*sniffed) == found)
        .map(|(_, kind, mime)| Sniffed { kind: *kind, mime })
        .ok_or_else(|| {
            UploadError::UnsupportedType(match found {
                Some(other) => {
                    format!("{other} files are not accepted; send an image or a voice clip")
                }
                None => "the file's type is not recognised; send an image or a voice clip".into(),
            })
        })
}

impl Sniffed {
    /// A declared type must name the same thing as the bytes (parameters such as `codecs=opus`
    /// aside; `application/octet-stream` declares nothing).
    pub fn check_declared(&self, declared: Option<&str>) -> Result<(), UploadError> {
        let Some(declared) = declared
            .map(essence)
            .filter(|d| !d.is_empty() && d != "application/octet-stream")
        else {
            return Ok(());
        };
        let same = declared == self.mime || aliases(self.mime).contains(&declared.as_str());
        if same {
            Ok(())
        } else {
            Err(UploadError::UnsupportedType(format!(
                "the file was declared {declared} but its bytes are {}",
                self.mime
            )))
        }
    }
}

/// `Audio/WebM; codecs=opus` → `audio/webm`.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Other names browsers use for the same container.
fn aliases(mime: &str) -> &'static [&'static str] {
    match mime {
        "image/jpeg" => &["image/jpg", "image/pjpeg"],
        "audio/webm" => &["video/webm"],
        "audio/ogg" => &["application/ogg", "audio/opus"],
        "audio/mp4" => &["video/mp4", "audio/m4a", "audio/x-m4a", "audio/aac"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn the_bytes_decide_not_the_declaration() {
        let png = sniff(PNG_MAGIC).expect("png");
        assert_eq!(png.mime, "image/png");
        assert!(png.check_declared(Some("image/png")).is_ok());
        assert!(png.check_declared(None).is_ok());
        assert!(png.check_declared(Some("application/octet-stream")).is_ok());
        assert!(matches!(
            png.check_declared(Some("image/jpeg")),
            Err(UploadError::UnsupportedType(_))
        ));
    }

    #[test]
    fn declared_parameters_and_aliases_are_understood() {
        let webm = Sniffed {
            kind: MediaKind::Voice,
            mime: "audio/webm",
        };
        assert!(webm.check_declared(Some("audio/webm;codecs=opus")).is_ok());
        assert!(webm.check_declared(Some("video/webm")).is_ok());
        assert!(webm.check_declared(Some("audio/ogg")).is_err());
    }

    #[test]
    fn unknown_and_unaccepted_types_are_refused() {
        assert!(sniff(b"<html><script>alert(1)</script>").is_err());
        assert!(sniff(b"%PDF-1.7 ....").is_err());
    }
}
