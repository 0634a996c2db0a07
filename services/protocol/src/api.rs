//! JSON bodies of the HTTP APIs (`/api/v1/...`) of the hub and the upload service.

use serde::{Deserialize, Serialize};

use crate::frames::ChatMessage;

/// A user as others see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub nickname: String,
    pub avatar: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterRequest {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub nickname: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Answer of register and login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthResponse {
    pub user: User,
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddContactRequest {
    pub user_id: i64,
}

/// A contact of the signed-in user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub user: User,
    pub online: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateGroupRequest {
    pub name: String,
}

/// A group chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    /// The group's conversation id.
    pub conv: i64,
    pub member_count: i64,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub user: User,
    pub online: bool,
}

/// One entry of the conversation list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub conv: i64,
    /// `"direct"` or `"group"`.
    pub kind: String,
    /// The other user of a direct conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<User>,
    /// The group of a group conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
    pub last_seq: i64,
    /// Highest seq the signed-in user has read.
    pub read_seq: i64,
    /// Highest seq the other side has read (direct conversations), for "read" ticks.
    pub peer_read_seq: i64,
    pub unread: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<ChatMessage>,
}

/// A page of history, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub messages: Vec<ChatMessage>,
    /// Whether older messages remain (page on with `before` = the last message's seq).
    pub more: bool,
}

/// Kind of an uploaded media object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Voice,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Voice => "voice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "image" => Some(Self::Image),
            "voice" => Some(Self::Voice),
            _ => None,
        }
    }
}

/// Answer of both upload flows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaInfo {
    pub id: String,
    pub kind: MediaKind,
    pub mime: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    pub waveform: Option<Vec<u8>>,
    /// `/media/{id}` on the upload service.
    pub url: String,
    /// `/media/{id}/thumb` on the upload service (images only).
    pub thumb_url: Option<String>,
}

/// Body of `POST /api/v1/media/uploads`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PresignRequest {
    pub kind: MediaKind,
    pub mime: String,
    pub size: u64,
}

/// Answer of `POST /api/v1/media/uploads`: PUT the bytes to `put_url` with `headers`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PresignResponse {
    pub id: String,
    pub put_url: String,
    pub headers: std::collections::BTreeMap<String, String>,
    /// RFC 3339.
    pub expires_at: String,
}

/// Body of every HTTP error: `{"error":{"code":"...","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

/// Body of `POST /api/v1/conversations/direct`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenDirectRequest {
    pub user_id: i64,
}

/// Answer of `POST /api/v1/conversations/direct`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectConversation {
    pub conv: i64,
}

/// Body of `POST /api/v1/dev/login` (development mode only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevLoginRequest {
    /// 1 = alice, 2 = bob, 3 = carol.
    pub id: i64,
}
