//! What each validated client command does for one session.
//!
//! Permission checks live here (is the target a user, is the sender in the group, is the media
//! theirs); storing and delivering messages is the writer's job, relaying is the bus's, replaying
//! is [`super::catch_up`]'s.

use natter_db::{
    DbError, conversations, conversations::Participants, memberships, messages, receipts,
};
use natter_protocol::{
    ClientCommand, FrameError, HeartbeatFrame, OutgoingMessage, ReadFrame, Target, TypingFrame,
    cmd, media,
};

use super::{
    Realtime,
    bus::{Audience, Frame},
    catch_up,
    conn::ConnHandle,
    writer::Submission,
};

/// Prefix of the paths of the stickers shipped with the page; a sticker may point nowhere else.
const STICKER_PREFIX: &str = "/stickers/";

/// Runs one command sent by `user` over `conn`.
pub async fn handle(
    realtime: &Realtime,
    conn: &ConnHandle,
    command: ClientCommand,
) -> Result<(), FrameError> {
    match command {
        ClientCommand::Heartbeat => {
            let frame = HeartbeatFrame {
                cmd: cmd::HEARTBEAT,
            };
            realtime.reply(conn.id(), Frame::encode(&frame));
            Ok(())
        }
        ClientCommand::Send(message) => send(realtime, conn, message).await,
        ClientCommand::Typing(target) => typing(realtime, conn, target).await,
        ClientCommand::Read { conv, seq } => read(realtime, conn, conv, seq).await,
        ClientCommand::CatchUp { cursors } => catch_up::replay(realtime, conn, cursors).await,
    }
}

async fn send(
    realtime: &Realtime,
    conn: &ConnHandle,
    mut message: OutgoingMessage,
) -> Result<(), FrameError> {
    let sender = conn.user();
    check_target(realtime, sender, message.target).await?;
    let media_id = check_media(realtime, sender, &mut message).await?;
    realtime
        .submit(Submission {
            sender,
            origin: conn.id(),
            message,
            media_id,
        })
        .await
}

/// The target must be another existing user, or a group the sender belongs to.
async fn check_target(realtime: &Realtime, sender: i64, target: Target) -> Result<(), FrameError> {
    match target {
        Target::User(to) if to == sender => Err(FrameError::InvalidField {
            field: "dstid",
            reason: "cannot send to yourself",
        }),
        Target::User(to) => match user_exists(realtime, to).await? {
            true => Ok(()),
            false => Err(FrameError::UnknownUser(to)),
        },
        Target::Group(group) if realtime.in_group(sender, group) => Ok(()),
        Target::Group(group) => Err(FrameError::NotMember(group)),
    }
}

async fn user_exists(realtime: &Realtime, user: i64) -> Result<bool, FrameError> {
    if realtime.knows_user(user) {
        return Ok(true);
    }
    let client = realtime.pool().get().await.map_err(unavailable)?;
    let exists = memberships::user_exists(&client, user)
        .await
        .map_err(unavailable)?;
    if exists {
        realtime.remember_user(user);
    }
    Ok(exists)
}

/// Images and voice must name media of that kind owned by the sender; the server sets their URLs
/// (and, for voice, the measured duration and waveform in `memo`).
/// Stickers may only point at the stickers shipped with the page.
async fn check_media(
    realtime: &Realtime,
    sender: i64,
    message: &mut OutgoingMessage,
) -> Result<Option<uuid::Uuid>, FrameError> {
    let kind = match message.media {
        media::IMAGE => "image",
        media::VOICE => "voice",
        media::EMOJI => {
            let url_ok = message.url.as_deref().is_none_or(is_sticker_path);
            return if url_ok {
                Ok(None)
            } else {
                Err(FrameError::BadMedia)
            };
        }
        _ => return Ok(None),
    };
    let id = message
        .media_id
        .as_deref()
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .ok_or(FrameError::BadMedia)?;
    let client = realtime.pool().get().await.map_err(unavailable)?;
    let facts = messages::owned_media(&client, id, sender, kind)
        .await
        .map_err(unavailable)?
        .ok_or(FrameError::BadMedia)?;
    message.url = Some(format!("/media/{id}"));
    message.pic = (kind == "image").then(|| format!("/media/{id}/thumb"));
    if kind == "voice" {
        // What the page shows is what the upload service measured, not what a client claims.
        let memo =
            serde_json::json!({"duration_ms": facts.duration_ms, "waveform": facts.waveform});
        message.memo = Some(memo.to_string());
    }
    Ok(Some(id))
}

fn is_sticker_path(url: &str) -> bool {
    url.starts_with(STICKER_PREFIX)
        && !url.contains("..")
        && url
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
}

async fn typing(realtime: &Realtime, conn: &ConnHandle, target: Target) -> Result<(), FrameError> {
    check_target(realtime, conn.user(), target).await?;
    let (audience, dstid, group) = match target {
        Target::User(to) => (Audience::Users(vec![to]), to, false),
        Target::Group(g) => (Audience::Group(g), g, true),
    };
    let frame = TypingFrame {
        cmd: cmd::TYPING,
        userid: conn.user(),
        dstid,
        group,
    };
    realtime.send(audience, &frame, Some(conn.id()));
    Ok(())
}

async fn read(
    realtime: &Realtime,
    conn: &ConnHandle,
    conv: i64,
    seq: i64,
) -> Result<(), FrameError> {
    let user = conn.user();
    let client = realtime.pool().get().await.map_err(unavailable)?;
    let participants = conversations::participants(&client, conv)
        .await
        .map_err(unavailable)?;
    let member = conversations::is_member(&client, user, conv)
        .await
        .map_err(unavailable)?;
    let (Some(participants), true) = (participants, member) else {
        return Err(FrameError::UnknownConversation(conv));
    };
    let seq = receipts::mark_read(&client, user, conv, seq)
        .await
        .map_err(unavailable)?;
    let audience = match participants {
        Participants::Pair(a, b) => Audience::Users(vec![a, b]),
        Participants::Group(g) => Audience::Group(g),
    };
    let frame = ReadFrame {
        cmd: cmd::READ,
        userid: user,
        conv,
        seq,
    };
    realtime.send(audience, &frame, Some(conn.id()));
    Ok(())
}

/// Logs a database failure met while handling a frame; the client is told to retry.
pub(super) fn unavailable(e: impl Into<DbError>) -> FrameError {
    let e = e.into();
    tracing::warn!(error = %e, "database error while handling a frame");
    FrameError::Unavailable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sticker_paths_stay_inside_the_sticker_folder() {
        assert!(is_sticker_path("/stickers/cats/happy.svg"));
        assert!(!is_sticker_path("https://evil.example/track.png"));
        assert!(!is_sticker_path("/stickers/../api/v1/me"));
        assert!(!is_sticker_path("/stickers/a\"onerror=x"));
    }
}
