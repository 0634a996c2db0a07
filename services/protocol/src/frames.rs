//! WebSocket frames, in both directions.
//!
//! A client frame is read once into [`RawFrame`] (every field optional, so that a missing field gets
//! a precise error) and then turned into a [`ClientCommand`] by [`ClientCommand::parse`].
//! Server frames are plain structs that serialize to the seed's JSON shape.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The `cmd` numbers. 0, 10 and 11 are the seed's.
pub mod cmd {
    /// Heartbeat, both ways.
    pub const HEARTBEAT: i64 = 0;
    /// A message to one user (`dstid` is the user id).
    pub const SINGLE: i64 = 10;
    /// A message to a group (`dstid` is the group id).
    pub const GROUP: i64 = 11;
    /// Typing indicator, relayed, never stored.
    pub const TYPING: i64 = 12;
    /// Read receipt `{conv, seq}`, stored and relayed.
    pub const READ: i64 = 13;
    /// Presence of a contact `{userid, online}` (server to client).
    pub const PRESENCE: i64 = 14;
    /// Acknowledgement of a committed message (server to client).
    pub const ACK: i64 = 20;
    /// Error answering a frame (server to client).
    pub const ERROR: i64 = 21;
    /// Catch-up request `{cursors}` (client to server).
    pub const CATCH_UP: i64 = 30;
    /// End of a catch-up (server to client).
    pub const CATCH_UP_DONE: i64 = 31;
}

/// The `media` numbers, all the seed's.
pub mod media {
    pub const TEXT: i64 = 1;
    pub const NEWS: i64 = 2;
    pub const VOICE: i64 = 3;
    pub const IMAGE: i64 = 4;
    pub const RED_PACKET: i64 = 5;
    pub const EMOJI: i64 = 6;
    pub const LINK: i64 = 7;
    pub const VIDEO: i64 = 8;
    pub const CONTACT_CARD: i64 = 9;
    pub const CUSTOM: i64 = 100;

    /// Every media number the hub accepts.
    pub const ALL: [i64; 10] = [
        TEXT,
        NEWS,
        VOICE,
        IMAGE,
        RED_PACKET,
        EMOJI,
        LINK,
        VIDEO,
        CONTACT_CARD,
        CUSTOM,
    ];
}

/// A client frame as it arrives: every field optional so that validation can name what is missing.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawFrame {
    pub cmd: Option<i64>,
    /// The seed's sender field. The server decides the sender; a different value is rejected.
    pub userid: Option<i64>,
    pub dstid: Option<i64>,
    pub media: Option<i64>,
    pub content: Option<String>,
    pub pic: Option<String>,
    pub url: Option<String>,
    pub memo: Option<String>,
    pub amount: Option<i64>,
    /// Client message id, makes a send idempotent.
    pub cid: Option<String>,
    /// Upload service id of the image or voice clip a message carries.
    pub media_id: Option<String>,
    pub conv: Option<i64>,
    pub seq: Option<i64>,
    pub cursors: Option<HashMap<String, i64>>,
    /// On a typing frame: `dstid` is a group.
    pub group: Option<bool>,
}

/// Where a message, typing indicator or receipt goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// One user (cmd 10).
    User(i64),
    /// Every member of a group (cmd 11).
    Group(i64),
}

/// A chat message as a client sends it, validated for shape (not yet for permissions).
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    pub cid: String,
    pub target: Target,
    pub media: i64,
    pub content: String,
    pub pic: Option<String>,
    pub url: Option<String>,
    pub memo: Option<String>,
    pub amount: Option<i64>,
    pub media_id: Option<String>,
}

/// A validated client frame.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientCommand {
    Heartbeat,
    Send(OutgoingMessage),
    Typing(Target),
    Read { conv: i64, seq: i64 },
    CatchUp { cursors: HashMap<i64, i64> },
}

/// Why a frame was refused; `code()` is the stable string sent in the error frame.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    #[error("frame is not valid JSON: {0}")]
    BadJson(String),
    #[error("frame is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("binary frames are not accepted; send JSON text")]
    Binary,
    #[error("unknown cmd {0}")]
    UnknownCmd(i64),
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    #[error("field `{field}` is invalid: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    #[error("content is longer than {limit} characters")]
    TooLong { limit: usize },
    #[error("unknown media type {0}")]
    UnknownMedia(i64),
    #[error("userid does not match the signed-in user")]
    SpoofedSender,
    #[error("not a member of group {0}")]
    NotMember(i64),
    #[error("unknown user {0}")]
    UnknownUser(i64),
    #[error("unknown conversation {0}")]
    UnknownConversation(i64),
    #[error("media is missing, not yours, or of the wrong kind")]
    BadMedia,
    #[error("too many frames; slow down")]
    RateLimited,
    #[error("the message could not be stored; retry with the same cid")]
    Unavailable,
}

impl FrameError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadJson(_) => "bad_json",
            Self::TooLarge { .. } => "frame_too_large",
            Self::Binary => "binary_frame",
            Self::UnknownCmd(_) => "unknown_cmd",
            Self::MissingField(_) => "missing_field",
            Self::InvalidField { .. } => "invalid_field",
            Self::TooLong { .. } => "too_long",
            Self::UnknownMedia(_) => "unknown_media",
            Self::SpoofedSender => "spoofed_sender",
            Self::NotMember(_) => "not_member",
            Self::UnknownUser(_) => "unknown_user",
            Self::UnknownConversation(_) => "unknown_conversation",
            Self::BadMedia => "bad_media",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
        }
    }
}

/// Longest accepted `cid`, in bytes.
pub const MAX_CID_BYTES: usize = 64;
/// Longest accepted `pic`, `url` or `memo`, in bytes.
pub const MAX_ATTR_BYTES: usize = 1024;

impl RawFrame {
    /// Reads a text frame; the size limit is checked by the caller before this.
    pub fn from_json(text: &str) -> Result<Self, FrameError> {
        serde_json::from_str(text).map_err(|e| FrameError::BadJson(e.to_string()))
    }
}

impl ClientCommand {
    /// Validates the shape of a frame sent by `sender`, with texts of at most `max_text_chars`.
    pub fn parse(raw: RawFrame, sender: i64, max_text_chars: usize) -> Result<Self, FrameError> {
        if raw.userid.is_some_and(|id| id != sender && id != 0) {
            return Err(FrameError::SpoofedSender);
        }
        let cmd = raw.cmd.ok_or(FrameError::MissingField("cmd"))?;
        match cmd {
            cmd::HEARTBEAT => Ok(Self::Heartbeat),
            cmd::SINGLE | cmd::GROUP => parse_send(raw, cmd, max_text_chars).map(Self::Send),
            cmd::TYPING => Ok(Self::Typing(parse_target(&raw)?)),
            cmd::READ => Ok(Self::Read {
                conv: positive(raw.conv, "conv")?,
                seq: non_negative(raw.seq, "seq")?,
            }),
            cmd::CATCH_UP => parse_cursors(raw.cursors.unwrap_or_default()),
            other => Err(FrameError::UnknownCmd(other)),
        }
    }
}

fn parse_send(
    raw: RawFrame,
    cmd: i64,
    max_text_chars: usize,
) -> Result<OutgoingMessage, FrameError> {
    let cid = raw.cid.ok_or(FrameError::MissingField("cid"))?;
    if cid.is_empty() || cid.len() > MAX_CID_BYTES {
        return Err(FrameError::InvalidField {
            field: "cid",
            reason: "must be 1 to 64 bytes",
        });
    }
    let dstid = positive(raw.dstid, "dstid")?;
    let target = if cmd == cmd::SINGLE {
        Target::User(dstid)
    } else {
        Target::Group(dstid)
    };
    let media = raw.media.unwrap_or(media::TEXT);
    if !media::ALL.contains(&media) {
        return Err(FrameError::UnknownMedia(media));
    }
    let content = raw.content.unwrap_or_default();
    if content.chars().count() > max_text_chars {
        return Err(FrameError::TooLong {
            limit: max_text_chars,
        });
    }
    if content.trim().is_empty() && media == media::TEXT {
        return Err(FrameError::MissingField("content"));
    }
    for (field, value) in [("pic", &raw.pic), ("url", &raw.url), ("memo", &raw.memo)] {
        if value.as_ref().is_some_and(|v| v.len() > MAX_ATTR_BYTES) {
            return Err(FrameError::InvalidField {
                field,
                reason: "longer than 1024 bytes",
            });
        }
    }
    for (field, value) in [("pic", &raw.pic), ("url", &raw.url)] {
        if value.as_deref().is_some_and(|v| !is_safe_link(v)) {
            return Err(FrameError::InvalidField {
                field,
                reason: "must be an http(s) URL or a path on this server",
            });
        }
    }
    let needs_media_id = media == media::IMAGE || media == media::VOICE;
    if needs_media_id && raw.media_id.as_deref().is_none_or(str::is_empty) {
        return Err(FrameError::MissingField("media_id"));
    }
    Ok(OutgoingMessage {
        cid,
        target,
        media,
        content,
        pic: raw.pic,
        url: raw.url,
        memo: raw.memo,
        amount: raw.amount,
        media_id: raw.media_id.filter(|_| needs_media_id),
    })
}

/// Whether a `url`/`pic` value is safe to put in a link or an `src`: empty (the seed's "none"),
/// an absolute `http:`/`https:` URL with a host, or a path on this server (`/...`, but not the
/// scheme-relative `//host` nor `/\host`, which browsers read as another host). Anything else
/// (`javascript:`, `data:`, `vbscript:`, whitespace or control tricks) is refused.
pub fn is_safe_link(value: &str) -> bool {
    if value.is_empty() {
        return true;
    }
    if value.chars().any(char::is_control) {
        return false;
    }
    if let Some(rest) = value.strip_prefix('/') {
        return !rest.starts_with(['/', '\\']);
    }
    url::Url::parse(value)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

fn parse_target(raw: &RawFrame) -> Result<Target, FrameError> {
    let dstid = positive(raw.dstid, "dstid")?;
    Ok(if raw.group == Some(true) {
        Target::Group(dstid)
    } else {
        Target::User(dstid)
    })
}

fn parse_cursors(cursors: HashMap<String, i64>) -> Result<ClientCommand, FrameError> {
    let mut parsed = HashMap::with_capacity(cursors.len());
    for (conv, seq) in cursors {
        let conv = conv
            .parse::<i64>()
            .ok()
            .filter(|c| *c > 0)
            .ok_or(FrameError::InvalidField {
                field: "cursors",
                reason: "keys must be conversation ids",
            })?;
        if seq < 0 {
            return Err(FrameError::InvalidField {
                field: "cursors",
                reason: "seq must not be negative",
            });
        }
        parsed.insert(conv, seq);
    }
    Ok(ClientCommand::CatchUp { cursors: parsed })
}

fn positive(value: Option<i64>, field: &'static str) -> Result<i64, FrameError> {
    match value {
        None => Err(FrameError::MissingField(field)),
        Some(v) if v > 0 => Ok(v),
        Some(_) => Err(FrameError::InvalidField {
            field,
            reason: "must be a positive id",
        }),
    }
}

fn non_negative(value: Option<i64>, field: &'static str) -> Result<i64, FrameError> {
    match value {
        None => Err(FrameError::MissingField(field)),
        Some(v) if v >= 0 => Ok(v),
        Some(_) => Err(FrameError::InvalidField {
            field,
            reason: "must not be negative",
        }),
    }
}

/// A stored chat message as delivered to every recipient (and replayed by catch-up and history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: i64,
    pub conv: i64,
    pub seq: i64,
    /// The sender, as the server decided from the token.
    pub userid: i64,
    pub dstid: i64,
    pub cmd: i64,
    pub media: i64,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// The sender's client message id, so the sender's other devices can match it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    /// Commit time, milliseconds since the Unix epoch.
    pub ts: i64,
}

/// cmd 20: the message with this `cid` is committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    pub cmd: i64,
    pub cid: String,
    pub id: i64,
    pub conv: i64,
    pub seq: i64,
    pub ts: i64,
}

impl Ack {
    pub fn of(message: &ChatMessage, cid: String) -> Self {
        Self {
            cmd: cmd::ACK,
            cid,
            id: message.id,
            conv: message.conv,
            seq: message.seq,
            ts: message.ts,
        }
    }
}

/// cmd 21: the frame (with this `cid`, when it had one) was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorFrame {
    pub cmd: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    pub code: String,
    pub error: String,
}

impl ErrorFrame {
    pub fn new(cid: Option<String>, error: &FrameError) -> Self {
        Self {
            cmd: cmd::ERROR,
            cid,
            code: error.code().to_owned(),
            error: error.to_string(),
        }
    }
}

/// cmd 12: `userid` is typing to `dstid` (a user, or a group when `group` is true).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypingFrame {
    pub cmd: i64,
    pub userid: i64,
    pub dstid: i64,
    #[serde(default)]
    pub group: bool,
}

/// cmd 13: `userid` has read conversation `conv` up to `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadFrame {
    pub cmd: i64,
    pub userid: i64,
    pub conv: i64,
    pub seq: i64,
}

/// cmd 14: a contact came online or went offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceFrame {
    pub cmd: i64,
    pub userid: i64,
    pub online: bool,
}

/// cmd 31: catch-up finished; `more` lists conversations that had more than one page to replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatchUpDone {
    pub cmd: i64,
    pub more: Vec<i64>,
}

/// cmd 0 from the server: the answer to a client heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatFrame {
    pub cmd: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ClientCommand, FrameError> {
        ClientCommand::parse(RawFrame::from_json(json)?, 2, 10)
    }

    #[test]
    fn seed_frame_parses_as_a_send() {
        let cmd = parse(r#"{"userid":2,"dstid":3,"cmd":10,"media":1,"content":"hello","cid":"a"}"#);
        let Ok(ClientCommand::Send(msg)) = cmd else {
            panic!("{cmd:?}")
        };
        assert_eq!(msg.target, Target::User(3));
        assert_eq!(msg.content, "hello");
    }

    #[test]
    fn every_bad_frame_names_its_fault() {
        let cases = [
            ("nope", "bad_json"),
            (r#"{"cmd":99}"#, "unknown_cmd"),
            (r#"{"dstid":3}"#, "missing_field"),
            (r#"{"cmd":10,"dstid":3,"content":"x"}"#, "missing_field"),
            (r#"{"cmd":10,"cid":"a","content":"x"}"#, "missing_field"),
            (
                r#"{"cmd":10,"cid":"a","dstid":3,"content":"01234567890"}"#,
                "too_long",
            ),
            (
                r#"{"cmd":10,"cid":"a","dstid":3,"media":55,"content":"x"}"#,
                "unknown_media",
            ),
            (
                r#"{"cmd":10,"cid":"a","dstid":3,"userid":9,"content":"x"}"#,
                "spoofed_sender",
            ),
            (
                r#"{"cmd":10,"cid":"a","dstid":-3,"content":"x"}"#,
                "invalid_field",
            ),
            (
                r#"{"cmd":10,"cid":"a","dstid":3,"media":4}"#,
                "missing_field",
            ),
            (r#"{"cmd":30,"cursors":{"x":1}}"#, "invalid_field"),
            (r#"{"cmd":13,"conv":1}"#, "missing_field"),
        ];
        for (json, code) in cases {
            let err = parse(json).expect_err(json);
            assert_eq!(err.code(), code, "{json}: {err}");
        }
    }

    #[test]
    fn link_fields_take_only_http_urls_and_server_paths() {
        for good in [
            "",
            "/stickers/kitty/1.png",
            "/media/0b9c/thumb",
            "https://example.com/a?b=c",
            "http://example.com",
        ] {
            assert!(is_safe_link(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "//evil.example/x",
            "/\\evil.example/x",
            "file:///etc/passwd",
            "stickers/relative",
        ] {
            assert!(!is_safe_link(bad), "{bad}");
        }
        for field in ["url", "pic"] {
            let frame =
                format!(r#"{{"cmd":10,"cid":"a","dstid":3,"media":7,"{field}":"javascript:x"}}"#);
            let err = parse(&frame).expect_err(&frame);
            assert_eq!(err.code(), "invalid_field", "{field}");
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn catch_up_reads_cursors() {
        let Ok(ClientCommand::CatchUp { cursors }) = parse(r#"{"cmd":30,"cursors":{"7":12}}"#)
        else {
            panic!()
        };
        assert_eq!(cursors.get(&7), Some(&12));
    }
}
