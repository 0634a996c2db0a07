//! One WebSocket connection: authenticate, register, then a reader loop and a writer task.
//!
//! The reader validates every frame and answers a bad one with an error frame (the connection
//! stays open). The writer task owns the socket's sending half: it drains the bounded outbound
//! queue, pings on a timer, and sends a close frame at the end. Cleanup happens in one place.

use std::{num::NonZeroU32, time::Duration};

use axum::{
    extract::{
        State,
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code},
    },
    response::{IntoResponse, Response},
};
use futures_util::{SinkExt, StreamExt, stream::SplitSink, stream::SplitStream};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use natter_common::{AuthError, ClientAddr, UrlAuthUser};
use natter_db::memberships::{self, Memberships};
use natter_protocol::{ClientCommand, ErrorFrame, FrameError, RawFrame};
use tokio::sync::mpsc;

use super::{
    Realtime, dispatch, encode, metrics,
    registry::{ConnHandle, PresenceChange},
};
use crate::{error::ApiError, state::AppState};

/// Frames larger than this close the connection (WebSocket code 1009) instead of getting an error
/// frame: reading them at all would cost memory.
const HARD_FRAME_CAP: usize = 1024 * 1024;
/// Bytes the socket reads at once; kept small so that idle connections stay cheap.
const READ_BUFFER: usize = 4 * 1024;
/// Bytes of frames gathered before a write: frames queued together share one system call (the
/// buffer is only allocated once something is sent, so idle connections do not pay for it).
const WRITE_BUFFER: usize = 16 * 1024;

/// `GET /ws`: authenticates from the token and takes a connection slot (the caps per user, per
/// address and in all) before upgrading, loads the user's groups and contacts.
pub async fn upgrade(
    State(state): State<AppState>,
    auth: Result<UrlAuthUser, AuthError>,
    from: ClientAddr,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let user = auth?;
    if state.realtime.inner.stopping.is_cancelled() {
        return Err(ApiError::Unavailable);
    }
    let slot = state.guards.admit(user.id(), from)?;
    let client = state.pool.get().await?;
    let found = memberships::of_user(&client, user.id())
        .await?
        .ok_or(ApiError::from(AuthError::UnknownAccount))?;
    drop(client);
    let realtime = state.realtime.clone();
    let tracker = realtime.inner.sessions.clone();
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(HARD_FRAME_CAP)
        .max_frame_size(HARD_FRAME_CAP)
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                run(realtime, user.id(), found, socket).await;
                drop(slot);
            })
        })
        .into_response())
}

/// Why a reader loop ended.
enum Ending {
    /// The client left, timed out, or was too slow: stop at once.
    Gone,
    /// The hub is shutting down: flush queued frames, then close.
    Shutdown,
}

async fn run(realtime: Realtime, user: i64, found: Memberships, socket: WebSocket) {
    let config = &realtime.inner.config;
    let (conn, queue) = ConnHandle::new(user, config.outbound_queue);
    metrics::connection_opened();
    let change = realtime
        .inner
        .registry
        .add(conn.clone(), found.groups, found.contacts);
    announce(&realtime, user, true, change);
    let (sink, stream) = socket.split();
    let heartbeat = Duration::from_secs(config.heartbeat_secs.max(1));
    let writer = tokio::spawn(write_loop(sink, queue, heartbeat, conn.clone()));
    let ending = read_loop(&realtime, &conn, stream).await;
    let change = realtime.inner.registry.remove(user, conn.id);
    announce(&realtime, user, false, change);
    if matches!(ending, Ending::Gone) {
        conn.killed().cancel();
    }
    drop(conn);
    let _ = writer.await;
    metrics::connection_closed();
}

fn announce(realtime: &Realtime, user: i64, online: bool, change: PresenceChange) {
    if let PresenceChange::Changed { contacts } = change
        && !contacts.is_empty()
    {
        realtime.publish(
            super::bus::Audience::Users(contacts),
            &super::presence_frame(user, online),
            None,
        );
    }
}

async fn read_loop(
    realtime: &Realtime,
    conn: &ConnHandle,
    mut stream: SplitStream<WebSocket>,
) -> Ending {
    let config = &realtime.inner.config;
    let idle = Duration::from_secs(config.idle_timeout_secs.max(1));
    let limiter = rate_limiter(config.rate_per_sec, config.rate_burst);
    let stopping = realtime.inner.stopping.clone();
    loop {
        let next = tokio::select! {
            () = stopping.cancelled() => return Ending::Shutdown,
            () = conn.killed().cancelled() => return Ending::Gone,
            next = tokio::time::timeout(idle, stream.next()) => next,
        };
        let message = match next {
            Err(_) => {
                tracing::info!(conn = conn.id, user = conn.user_id, "idle timeout");
                return Ending::Gone;
            }
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return Ending::Gone,
            Ok(Some(Ok(message))) => message,
        };
        metrics::frame_in();
        let result = match message {
            Message::Text(text) => on_text(realtime, conn, &limiter, text.as_str()).await,
            Message::Binary(_) => Err((None, FrameError::Binary)),
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) => Ok(()),
        };
        if let Err((cid, error)) = result {
            metrics::frame_rejected(error.code());
            conn.push(encode(&ErrorFrame::new(cid, &error)));
        }
    }
}

async fn on_text(
    realtime: &Realtime,
    conn: &ConnHandle,
    limiter: &DefaultDirectRateLimiter,
    text: &str,
) -> Result<(), (Option<String>, FrameError)> {
    let config = &realtime.inner.config;
    if text.len() > config.max_frame_bytes {
        return Err((
            None,
            FrameError::TooLarge {
                limit: config.max_frame_bytes,
            },
        ));
    }
    let raw = RawFrame::from_json(text).map_err(|e| (None, e))?;
    let cid = raw.cid.clone();
    let command = ClientCommand::parse(raw, conn.user_id, config.max_text_chars)
        .map_err(|e| (cid.clone(), e))?;
    if command != ClientCommand::Heartbeat && limiter.check().is_err() {
        return Err((cid, FrameError::RateLimited));
    }
    dispatch::handle(realtime, conn, command)
        .await
        .map_err(|e| (cid, e))
}

fn rate_limiter(per_sec: u32, burst: u32) -> DefaultDirectRateLimiter {
    let per_sec = NonZeroU32::new(per_sec).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(per_sec);
    RateLimiter::direct(Quota::per_second(per_sec).allow_burst(burst))
}

/// Sends queued frames and pings until the queue closes (shutdown: flush, then close) or the
/// connection is killed (gone or too slow: close at once).
async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut queue: mpsc::Receiver<Message>,
    heartbeat: Duration,
    conn: ConnHandle,
) {
    let kill = conn.killed().clone();
    drop(conn);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    let close = loop {
        let sent = tokio::select! {
            biased;
            () = kill.cancelled() => break close_frame(close_code::POLICY, "closed: too slow or gone"),
            frame = queue.recv() => match frame {
                Some(frame) => send_queued(&mut sink, &mut queue, frame).await,
                None => break close_frame(close_code::AWAY, "server shutting down"),
            },
            _ = ping.tick() => sink.send(Message::Ping(Default::default())).await,
        };
        if sent.is_err() {
            return;
        }
    };
    let _ = sink.send(close).await;
    let _ = sink.close().await;
}

/// Most frames written before one flush: under load, many frames share a system call.
const FLUSH_EVERY: usize = 64;

/// Writes `first` and whatever else is already queued, then flushes once.
async fn send_queued(
    sink: &mut SplitSink<WebSocket, Message>,
    queue: &mut mpsc::Receiver<Message>,
    first: Message,
) -> Result<(), axum::Error> {
    sink.feed(first).await?;
    for _ in 1..FLUSH_EVERY {
        match queue.try_recv() {
            Ok(frame) => sink.feed(frame).await?,
            Err(_) => break,
        }
    }
    sink.flush().await
}

fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}
