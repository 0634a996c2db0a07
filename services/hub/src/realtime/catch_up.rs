//! Catch-up (cmd 30): replays what a client missed, bounded and streamed.
//!
//! One request replays at most `catch_up_page` messages per conversation and, in all, at most
//! `catch_up_max_rows` messages and `catch_up_max_bytes` bytes of frames (always at least one
//! message); every conversation left with more is listed in cmd 31's `more`. Messages are read a
//! small chunk at a time, with no database connection held in between, and each frame waits for
//! room in the connection's queue: a client that does not read holds at most a bounded part of its
//! queue until the write timeout cuts it off.

use std::collections::HashMap;

use natter_db::messages;
use natter_protocol::{CatchUpDone, FrameError, cmd};
use tokio_util::sync::CancellationToken;

use super::{Realtime, bus::Frame, conn::ConnHandle, dispatch::unavailable, metrics};

/// Messages read from PostgreSQL at a time.
const CHUNK: usize = 64;

/// Replays everything after each cursor within the bounds, then sends cmd 31.
pub async fn replay(
    realtime: &Realtime,
    conn: &ConnHandle,
    cursors: HashMap<i64, i64>,
) -> Result<(), FrameError> {
    let config = realtime.config();
    let page = (config.catch_up_page as usize).max(1);
    let mut budget = Budget::new(config.catch_up_max_rows as usize, config.catch_up_max_bytes);
    let plan = {
        let client = realtime.pool().get().await.map_err(unavailable)?;
        messages::catch_up_plan(&client, conn.user(), &cursors)
            .await
            .map_err(unavailable)?
    };
    let replayer = Replayer {
        realtime,
        conn,
        stopping: realtime.stopping(),
    };
    let mut more = Vec::new();
    for (i, (conv, after)) in plan.iter().copied().enumerate() {
        match replayer
            .conversation(conv, after, page, &mut budget)
            .await?
        {
            Replayed::Done => {}
            Replayed::More => more.push(conv),
            Replayed::OverBudget => {
                more.extend(plan[i..].iter().map(|(conv, _)| *conv));
                break;
            }
            Replayed::Closed => return Ok(()),
        }
    }
    metrics::catch_up_frames(budget.sent);
    let done = CatchUpDone {
        cmd: cmd::CATCH_UP_DONE,
        more,
    };
    realtime.reply(conn.id(), Frame::encode(&done));
    Ok(())
}

/// What one request may still replay.
#[derive(Debug)]
struct Budget {
    rows: usize,
    bytes: usize,
    sent: usize,
}

impl Budget {
    fn new(rows: usize, bytes: usize) -> Self {
        Self {
            rows,
            bytes,
            sent: 0,
        }
    }

    /// Whether a frame of `len` bytes fits (the first always does, so every request progresses).
    fn fits(&self, len: usize) -> bool {
        self.sent == 0 || (self.rows > 0 && len <= self.bytes)
    }

    fn spend(&mut self, len: usize) {
        self.rows = self.rows.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(len);
        self.sent += 1;
    }
}

/// How the replay of one conversation ended.
enum Replayed {
    /// Everything after the cursor was sent.
    Done,
    /// A page was sent and more remain.
    More,
    /// The request's budget ran out; this conversation (and those after it) has more.
    OverBudget,
    /// The connection closed or the hub is stopping.
    Closed,
}

struct Replayer<'a> {
    realtime: &'a Realtime,
    conn: &'a ConnHandle,
    stopping: CancellationToken,
}

impl Replayer<'_> {
    /// Sends up to `page` messages of `conv` after seq `after`, a chunk at a time.
    async fn conversation(
        &self,
        conv: i64,
        mut after: i64,
        page: usize,
        budget: &mut Budget,
    ) -> Result<Replayed, FrameError> {
        let mut left = page;
        loop {
            let take = left.min(CHUNK);
            // One more than is sent tells whether more remain.
            let rows = {
                let client = self.realtime.pool().get().await.map_err(unavailable)?;
                messages::after(&client, conv, after, take as i64 + 1)
                    .await
                    .map_err(unavailable)?
            };
            let has_more = rows.len() > take;
            for message in rows.into_iter().take(take) {
                let frame = Frame::encode(&message);
                if !budget.fits(frame.len()) {
                    return Ok(Replayed::OverBudget);
                }
                if !self.conn.room(&self.stopping).await {
                    return Ok(Replayed::Closed);
                }
                budget.spend(frame.len());
                after = message.seq;
                self.realtime.reply(self.conn.id(), frame);
            }
            if !has_more {
                return Ok(Replayed::Done);
            }
            left -= take;
            if left == 0 {
                return Ok(Replayed::More);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_lets_the_first_frame_through_then_holds_rows_and_bytes() {
        let mut budget = Budget::new(2, 100);
        assert!(budget.fits(500), "the first frame always goes");
        budget.spend(500);
        assert!(!budget.fits(1), "no bytes left");
        let mut budget = Budget::new(2, 100);
        budget.spend(10);
        assert!(budget.fits(90) && !budget.fits(91));
        budget.spend(10);
        assert!(!budget.fits(1), "no rows left");
    }
}
