//! The WebSocket protocol end to end: real hub, real PostgreSQL, real sockets.

use std::{collections::HashSet, time::Duration};

use serde_json::{Value, json};

use crate::helpers::{TestApp, WsClient, metric_value, spawn_app, spawn_app_with, unthrottled};

const WAIT: Duration = Duration::from_secs(10);

pub(crate) fn text(dstid: i64, cid: &str, content: &str) -> Value {
    json!({"cmd": 10, "dstid": dstid, "media": 1, "cid": cid, "content": content})
}

pub(crate) fn is_cmd(v: &Value, cmd: i64) -> bool {
    v["cmd"].as_i64() == Some(cmd)
}

/// The ack (cmd 20) or refusal (cmd 21) of the frame with this `cid`.
pub(crate) async fn ack_of(ws: &mut WsClient, cid: &str) -> Value {
    ws.recv_until(
        |v| (is_cmd(v, 20) || is_cmd(v, 21)) && v["cid"] == cid,
        WAIT,
    )
    .await
}

async fn ack_of_any(ws: &mut WsClient) -> Value {
    let v = ws
        .recv_until(|v| is_cmd(v, 20) || is_cmd(v, 21), WAIT)
        .await;
    assert!(is_cmd(&v, 20), "expected an ack, got {v}");
    v
}

async fn message_count(app: &TestApp) -> i64 {
    let client = app.pool.get().await.expect("db");
    client
        .query_one("select count(*) from messages", &[])
        .await
        .expect("count")
        .get(0)
}

#[tokio::test]
async fn direct_message_reaches_every_connection_of_both_users() {
    let app = spawn_app().await;
    let (alice, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    let mut alice_phone = app.ws(&alice_token).await;
    let mut alice_laptop = app.ws(&alice_token).await;
    let mut bob_tab1 = app.ws(&bob_token).await;
    let mut bob_tab2 = app.ws(&bob_token).await;

    alice_phone.send_json(text(bob.id, "c1", "hello")).await;
    let ack = ack_of(&mut alice_phone, "c1").await;
    assert!(is_cmd(&ack, 20), "expected an ack, got {ack}");
    assert_eq!(ack["seq"], 1);

    for ws in [&mut bob_tab1, &mut bob_tab2, &mut alice_laptop] {
        let got = ws.recv_until(|v| is_cmd(v, 10), WAIT).await;
        assert_eq!(got["content"], "hello");
        assert_eq!(got["userid"], alice.id, "the server names the sender");
        assert_eq!(got["dstid"], bob.id);
        assert_eq!(got["conv"], ack["conv"]);
        assert_eq!(got["seq"], ack["seq"]);
        assert_eq!(got["id"], ack["id"]);
    }
    // The sending connection got the ack, not a copy of its own message.
    alice_phone.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn group_message_reaches_members_only() {
    let app = spawn_app().await;
    let (_, owner_token) = app.register("owner").await;
    let (_, member_token) = app.register("member").await;
    let (_, outsider_token) = app.register("outsider").await;
    let group = app.create_group(&owner_token, "team").await;
    let group_id = group["id"].as_i64().expect("group id");
    app.join_group(&member_token, group_id).await;

    let mut owner = app.ws(&owner_token).await;
    let mut member = app.ws(&member_token).await;
    let mut outsider = app.ws(&outsider_token).await;
    owner
        .send_json(
            json!({"cmd": 11, "dstid": group_id, "media": 1, "cid": "g1", "content": "hi team"}),
        )
        .await;
    assert!(is_cmd(&ack_of(&mut owner, "g1").await, 20));
    let got = member.recv_until(|v| is_cmd(v, 11), WAIT).await;
    assert_eq!(got["content"], "hi team");
    outsider.expect_silence(Duration::from_millis(500)).await;

    // An outsider cannot post to the group.
    outsider
        .send_json(
            json!({"cmd": 11, "dstid": group_id, "media": 1, "cid": "x", "content": "let me in"}),
        )
        .await;
    let refused = ack_of(&mut outsider, "x").await;
    assert_eq!(refused["code"], "not_member");
    member.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_spoofed_sender_is_refused() {
    let app = spawn_app().await;
    let (_, alice_token) = app.register("alice").await;
    let (bob, _) = app.register("bob").await;
    let (carol, _) = app.register("carol").await;
    let mut alice = app.ws(&alice_token).await;
    let mut frame = text(bob.id, "s1", "I am carol");
    frame["userid"] = json!(carol.id);
    alice.send_json(frame).await;
    let refused = ack_of(&mut alice, "s1").await;
    assert_eq!(refused["code"], "spoofed_sender");
    assert_eq!(message_count(&app).await, 0);
}

#[tokio::test]
async fn every_bad_frame_gets_its_error_and_the_connection_survives() {
    let app = spawn_app().await;
    let (_, alice_token) = app.register("alice").await;
    let (bob, _) = app.register("bob").await;
    let (_, other_token) = app.register("other").await;
    let group = app.create_group(&other_token, "closed").await;
    let mut ws = app.ws(&alice_token).await;
    let too_long = "x".repeat(app.config.max_text_chars + 1);
    let oversized = "y".repeat(app.config.max_frame_bytes + 10);
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "bad_json"),
        (r#"{"cmd":77}"#.into(), "unknown_cmd"),
        (json!({"cmd": 10, "cid": "m", "content": "no dstid"}).to_string(), "missing_field"),
        (text(bob.id, "l", &too_long).to_string(), "too_long"),
        (
            json!({"cmd": 11, "dstid": group["id"], "cid": "n", "content": "hi"}).to_string(),
            "not_member",
        ),
        (text(999_999, "u", "who?").to_string(), "unknown_user"),
        (json!({"cmd": 10, "dstid": bob.id, "cid": "o", "content": oversized}).to_string(), "frame_too_large"),
        (json!({"cmd": 10, "dstid": bob.id, "cid": "p", "media": 4}).to_string(), "missing_field"),
        (
            json!({"cmd": 10, "dstid": bob.id, "cid": "q", "media": 4, "media_id": "0f5e7c1a-0000-4000-8000-000000000000"})
                .to_string(),
            "bad_media",
        ),
        (
            json!({"cmd": 10, "dstid": bob.id, "cid": "r", "media": 6, "url": "https://tracker.example/p.png"}).to_string(),
            "bad_media",
        ),
    ];
    for (frame, code) in cases {
        ws.send_text(frame.clone()).await;
        let answer = ws.recv_until(|v| is_cmd(v, 21), WAIT).await;
        assert_eq!(
            answer["code"], code,
            "frame {:.80} answered {answer}",
            frame
        );
    }
    ws.send_binary(vec![1, 2, 3]).await;
    assert_eq!(
        ws.recv_until(|v| is_cmd(v, 21), WAIT).await["code"],
        "binary_frame"
    );
    // Still open and working.
    ws.send_json(text(bob.id, "ok", "still here")).await;
    assert!(is_cmd(&ack_of(&mut ws, "ok").await, 20));
    assert_eq!(message_count(&app).await, 1);
}

#[tokio::test]
async fn a_resent_cid_is_stored_once_and_acked_the_same() {
    let app = spawn_app().await;
    let (_, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    let mut alice = app.ws(&alice_token).await;
    let mut bob_ws = app.ws(&bob_token).await;
    alice.send_json(text(bob.id, "same", "once")).await;
    let first = ack_of(&mut alice, "same").await;
    // Twice more: one after the commit, and two in the same breath (same batch).
    alice.send_json(text(bob.id, "same", "once")).await;
    let second = ack_of(&mut alice, "same").await;
    alice.send_json(text(bob.id, "twin", "a")).await;
    alice.send_json(text(bob.id, "twin", "a")).await;
    let twin1 = ack_of(&mut alice, "twin").await;
    let twin2 = ack_of(&mut alice, "twin").await;
    assert_eq!(first, second);
    assert_eq!(twin1, twin2);
    // What was acked is what is stored, to the millisecond.
    let (_, history) = app
        .get(
            &format!("/api/v1/conversations/{}/messages", first["conv"]),
            Some(&alice_token),
        )
        .await;
    let stored = &history["messages"].as_array().expect("messages")[1];
    assert_eq!((&stored["id"], &stored["ts"]), (&first["id"], &first["ts"]));
    assert!(is_cmd(&twin1, 20));
    // A retry sent together with a new message leaves no gap in the seqs.
    alice.send_json(text(bob.id, "same", "once")).await;
    alice.send_json(text(bob.id, "third", "c")).await;
    assert_eq!(ack_of(&mut alice, "same").await, first);
    assert_eq!(ack_of(&mut alice, "third").await["seq"], 3);
    assert_eq!(message_count(&app).await, 3);
    // Commits are measured as Prometheus histograms (buckets aggregate across hubs).
    let metrics = app.metrics().await;
    assert!(metric_value(&metrics, "natter_commit_seconds_count") >= 1.0);
    assert!(
        metrics.contains(r#"natter_commit_seconds_bucket{le="0.01"}"#)
            && metrics.contains(r#"natter_commit_batch_size_bucket{le="1"}"#),
        "commit histograms have buckets:\n{metrics}"
    );
    // Bob saw each message once.
    let mut seqs = Vec::new();
    for _ in 0..3 {
        seqs.push(bob_ws.recv_until(|v| is_cmd(v, 10), WAIT).await["seq"].as_i64());
    }
    assert_eq!(seqs, [Some(1), Some(2), Some(3)]);
    bob_ws.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn an_offline_user_catches_up_exactly_once_and_in_order() {
    let app = spawn_app_with(unthrottled).await;
    let (_, s1_token) = app.register("sender1").await;
    let (_, s2_token) = app.register("sender2").await;
    let (_, reader_token) = app.register("reader").await;
    let group = app.create_group(&s1_token, "busy").await;
    let group_id = group["id"].as_i64().expect("id");
    app.join_group(&s2_token, group_id).await;
    app.join_group(&reader_token, group_id).await;

    let send_100 = |token: String, tag: &'static str| {
        let app = &app;
        async move {
            let mut ws = app.ws(&token).await;
            for i in 0..100 {
                let cid = format!("{tag}{i}");
                ws.send_json(json!({"cmd": 11, "dstid": group_id, "cid": cid, "content": format!("{tag} {i}")}))
                    .await;
            }
            let mut acked = 0;
            while acked < 100 {
                let v = ws
                    .recv_until(|v| is_cmd(v, 20) || is_cmd(v, 21), WAIT)
                    .await;
                assert!(is_cmd(&v, 20), "send failed: {v}");
                acked += 1;
            }
        }
    };
    tokio::join!(send_100(s1_token, "a"), send_100(s2_token, "b"));

    let mut reader = app.ws(&reader_token).await;
    reader.send_json(json!({"cmd": 30, "cursors": {}})).await;
    let mut seqs = Vec::new();
    loop {
        let v = reader
            .recv_until(|v| is_cmd(v, 11) || is_cmd(v, 31), WAIT)
            .await;
        if is_cmd(&v, 31) {
            assert_eq!(v["more"], json!([]));
            break;
        }
        seqs.push(v["seq"].as_i64().expect("seq"));
    }
    assert_eq!(
        seqs,
        (1..=200).collect::<Vec<_>>(),
        "every message once, in seq order"
    );
    reader.expect_silence(Duration::from_millis(300)).await;

    // A second catch-up from the last seq seen replays nothing.
    let conv = group["conv"].as_i64().expect("conv");
    reader
        .send_json(json!({"cmd": 30, "cursors": {conv.to_string(): 200}}))
        .await;
    let done = reader
        .recv_until(|v| is_cmd(v, 11) || is_cmd(v, 31), WAIT)
        .await;
    assert!(is_cmd(&done, 31), "nothing to replay, got {done}");
}

#[tokio::test]
async fn catch_up_is_paged_with_a_more_flag() {
    let app = spawn_app_with(|c| {
        unthrottled(c);
        c.catch_up_page = 5;
    })
    .await;
    let (_, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    let mut alice = app.ws(&alice_token).await;
    for i in 0..8 {
        alice.send_json(text(bob.id, &format!("m{i}"), "x")).await;
        ack_of(&mut alice, &format!("m{i}")).await;
    }
    let mut bob_ws = app.ws(&bob_token).await;
    bob_ws.send_json(json!({"cmd": 30, "cursors": {}})).await;
    let mut seen = 0;
    let done = loop {
        let v = bob_ws
            .recv_until(|v| is_cmd(v, 10) || is_cmd(v, 31), WAIT)
            .await;
        if is_cmd(&v, 31) {
            break v;
        }
        seen += 1;
    };
    assert_eq!(seen, 5);
    assert_eq!(done["more"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_stalled_reader_is_cut_off_without_slowing_the_others() {
    let app = spawn_app_with(|c| {
        unthrottled(c);
        // Deep enough for a healthy reader's bursts (one commit can fan out 50 messages at once).
        c.outbound_queue = 128;
    })
    .await;
    let (_, sender_token) = app.register("sender").await;
    let (_, fast_token) = app.register("fast").await;
    let (_, stalled_token) = app.register("stalled").await;
    let group = app.create_group(&sender_token, "firehose").await;
    let group_id = group["id"].as_i64().expect("id");
    app.join_group(&fast_token, group_id).await;
    app.join_group(&stalled_token, group_id).await;

    let mut fast = app.ws(&fast_token).await;
    // Connected, then never read: its socket buffers fill, then its queue, then the hub cuts it off.
    let stalled = app.raw_ws(&stalled_token).await;
    let mut sender = app.ws(&sender_token).await;
    // 12 MB in all: more than the stalled socket's kernel buffers and its queue can hold.
    let big = "z".repeat(4_000);
    let total = 3_000;
    let fast_reader = tokio::spawn(async move {
        let mut got = 0;
        while got < total {
            let v = fast.recv_until(|v| is_cmd(v, 11), WAIT).await;
            assert_eq!(v["seq"], got + 1, "in order, none missing");
            got += 1;
        }
        got
    });
    for i in 0..total {
        sender
            .send_json(
                json!({"cmd": 11, "dstid": group_id, "cid": format!("f{i}"), "content": big}),
            )
            .await;
        // The sender reads its acks as it goes, so it is not a slow reader itself.
        if i % 50 == 49 {
            for _ in 0..50 {
                ack_of_any(&mut sender).await;
            }
        }
    }
    assert_eq!(fast_reader.await.expect("fast reader"), total);
    let metrics = app.metrics().await;
    assert!(
        metric_value(&metrics, "natter_outbound_queue_drops_total") >= 1.0,
        "the stalled connection was dropped:\n{metrics}"
    );
    assert!(
        stalled.closed_by_server_within(WAIT).await,
        "the stalled reader was disconnected"
    );
}

#[tokio::test]
async fn acked_messages_survive_a_restart() {
    let mut app = spawn_app_with(unthrottled).await;
    let (_, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    let mut alice = app.ws(&alice_token).await;
    for i in 0..50 {
        alice
            .send_json(text(bob.id, &format!("r{i}"), &format!("msg {i}")))
            .await;
    }
    let mut acked = HashSet::new();
    while acked.len() < 50 {
        let v = alice.recv_until(|v| is_cmd(v, 20), WAIT).await;
        acked.insert(v["seq"].as_i64().expect("seq"));
    }
    app.restart().await;
    let mut bob_ws = app.ws(&bob_token).await;
    bob_ws.send_json(json!({"cmd": 30, "cursors": {}})).await;
    let mut replayed = HashSet::new();
    loop {
        let v = bob_ws
            .recv_until(|v| is_cmd(v, 10) || is_cmd(v, 31), WAIT)
            .await;
        if is_cmd(&v, 31) {
            break;
        }
        replayed.insert(v["seq"].as_i64().expect("seq"));
    }
    assert_eq!(replayed, acked);
    // Seqs continue after the restart.
    let mut alice = app.ws(&alice_token).await;
    alice
        .send_json(text(bob.id, "after", "after restart"))
        .await;
    assert_eq!(ack_of(&mut alice, "after").await["seq"], 51);
}

#[tokio::test]
async fn typing_is_relayed_and_receipts_are_stored_and_relayed() {
    let app = spawn_app().await;
    let (alice, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    let mut alice_ws = app.ws(&alice_token).await;
    let mut bob_ws = app.ws(&bob_token).await;
    alice_ws
        .send_json(json!({"cmd": 12, "dstid": bob.id}))
        .await;
    let typing = bob_ws.recv_until(|v| is_cmd(v, 12), WAIT).await;
    assert_eq!(typing["userid"], alice.id);
    assert_eq!(message_count(&app).await, 0, "typing is not stored");

    alice_ws.send_json(text(bob.id, "t1", "read me")).await;
    let ack = ack_of(&mut alice_ws, "t1").await;
    bob_ws
        .send_json(json!({"cmd": 13, "conv": ack["conv"], "seq": ack["seq"]}))
        .await;
    let receipt = alice_ws.recv_until(|v| is_cmd(v, 13), WAIT).await;
    assert_eq!(receipt["userid"], bob.id);
    assert_eq!(receipt["seq"], 1);
    let client = app.pool.get().await.expect("db");
    let stored: i64 = client
        .query_one(
            "select seq from read_receipts where user_id = $1",
            &[&bob.id],
        )
        .await
        .expect("receipt row")
        .get(0);
    assert_eq!(stored, 1);

    // A receipt for a conversation one is not in is refused.
    let (_, eve_token) = app.register("eve").await;
    let mut eve = app.ws(&eve_token).await;
    eve.send_json(json!({"cmd": 13, "conv": ack["conv"], "seq": 1}))
        .await;
    assert_eq!(
        eve.recv_until(|v| is_cmd(v, 21), WAIT).await["code"],
        "unknown_conversation"
    );
}

#[tokio::test]
async fn contacts_see_presence_changes() {
    let app = spawn_app().await;
    let (alice, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    app.add_contact(&alice_token, bob.id).await;
    let mut alice_ws = app.ws(&alice_token).await;
    let bob_ws = app.ws(&bob_token).await;
    let online = alice_ws.recv_until(|v| is_cmd(v, 14), WAIT).await;
    assert_eq!(
        (online["userid"].as_i64(), online["online"].as_bool()),
        (Some(bob.id), Some(true))
    );
    drop(bob_ws);
    let offline = alice_ws.recv_until(|v| is_cmd(v, 14), WAIT).await;
    assert_eq!(
        (offline["userid"].as_i64(), offline["online"].as_bool()),
        (Some(bob.id), Some(false))
    );
    let _ = alice;
}

#[tokio::test]
async fn heartbeat_is_answered_and_a_bad_token_is_refused() {
    let app = spawn_app().await;
    let (_, token) = app.register("alice").await;
    let mut ws = app.ws(&token).await;
    ws.send_json(json!({"cmd": 0})).await;
    assert!(is_cmd(&ws.recv_until(|v| is_cmd(v, 0), WAIT).await, 0));
    assert!(
        app.try_ws("not-a-token").await.is_err(),
        "a bad token cannot open a socket"
    );
    let keys = natter_common::token::TokenKeys::new(
        app.config.secrets.secret().expect("test secret").as_bytes(),
        Duration::from_secs(60),
    );
    let orphan = keys.issue(987_654, "nobody");
    match app.try_ws(&orphan).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401, "a signed token of no account");
        }
        Err(other) => panic!("a token of no account must get 401, got {other}"),
        Ok(_) => panic!("a token of no account must not open a socket"),
    }
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(|c| {
        c.heartbeat_secs = 1;
        c.idle_timeout_secs = 2;
    })
    .await;
    let (_, token) = app.register("sleepy").await;
    // Never answers the server's pings.
    let silent = app.raw_ws(&token).await;
    assert!(
        silent
            .closed_by_server_within(Duration::from_secs(10))
            .await,
        "closed for silence"
    );
}

#[tokio::test]
async fn shutdown_acks_what_was_sent_and_closes_sockets_with_a_close_frame() {
    let mut app = spawn_app_with(unthrottled).await;
    let (_, alice_token) = app.register("alice").await;
    let (bob, _) = app.register("bob").await;
    let mut alice = app.ws(&alice_token).await;
    for i in 0..20 {
        alice.send_json(text(bob.id, &format!("s{i}"), "bye")).await;
    }
    ack_of(&mut alice, "s0").await;
    app.stop().await;
    // Whatever the hub committed before stopping, it acked before its close frame.
    let mut acks = 1;
    let code = loop {
        match alice.next_json_or_close(WAIT).await {
            Ok(v) if is_cmd(&v, 20) => acks += 1,
            Ok(v) => panic!("unexpected frame {v}"),
            Err(code) => break code,
        }
    };
    assert_eq!(code, Some(1001), "closed with 'going away'");
    assert_eq!(
        message_count(&app).await,
        acks,
        "every stored message was acked"
    );
}

/// Waits until `count` sessions of this test's database wait for a lock.
async fn lock_waiters(app: &TestApp, count: i64) {
    let client = app.pool.get().await.expect("db");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let waiting: i64 = client
            .query_one(
                "select count(*) from pg_stat_activity
                 where datname = current_database() and wait_event_type = 'Lock'",
                &[],
            )
            .await
            .expect("pg_stat_activity")
            .get(0);
        if waiting >= count {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{waiting} of {count} sessions wait for the lock"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_pair_whose_conversation_another_transaction_is_creating_gets_its_first_message_stored() {
    let app = spawn_app().await;
    let (alice, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    let mut alice_ws = app.ws(&alice_token).await;
    let mut bob_ws = app.ws(&bob_token).await;
    // Another transaction (the API opening the chat, another node) inserts the pair's
    // conversation and has not committed when the first message and an API call need it.
    let mut other = app.pool.get().await.expect("db");
    let tx = other.transaction().await.expect("transaction");
    let (lo, hi) = (alice.id.min(bob.id), alice.id.max(bob.id));
    let held: i64 = tx
        .query_one(
            "insert into conversations (kind, user_lo, user_hi) values (1, $1, $2) returning id",
            &[&lo, &hi],
        )
        .await
        .expect("conflicting insert")
        .get(0);
    alice_ws.send_json(text(bob.id, "first", "hello")).await;
    let with_alice = json!({"user_id": alice.id});
    let open = app.post(
        "/api/v1/conversations/direct",
        Some(&bob_token),
        &with_alice,
    );
    let release = async {
        // The writer's upsert and the API's both wait for the open transaction.
        lock_waiters(&app, 2).await;
        tx.commit().await.expect("commit");
    };
    let ((status, opened), ()) = tokio::join!(open, release);
    assert_eq!((status, &opened["conv"]), (200, &json!(held)), "{opened}");
    let ack = ack_of(&mut alice_ws, "first").await;
    assert!(is_cmd(&ack, 20), "the first message is stored: {ack}");
    assert_eq!((&ack["conv"], &ack["seq"]), (&json!(held), &json!(1)));
    // The writer goes on: the next message is stored too, and bob gets both in order.
    alice_ws
        .send_json(text(bob.id, "second", "still here"))
        .await;
    assert_eq!(ack_of(&mut alice_ws, "second").await["seq"], 2);
    for seq in [1, 2] {
        let got = bob_ws.recv_until(|v| is_cmd(v, 10), WAIT).await;
        assert_eq!(got["seq"], seq);
    }
}

#[tokio::test]
async fn a_failed_commit_is_answered_unavailable_and_the_writer_goes_on() {
    let app = spawn_app().await;
    let (_, alice_token) = app.register("alice").await;
    let (bob, _) = app.register("bob").await;
    let mut alice = app.ws(&alice_token).await;
    alice.send_json(text(bob.id, "m1", "fine")).await;
    assert_eq!(ack_of(&mut alice, "m1").await["seq"], 1);
    // PostgreSQL refuses the next batch.
    let client = app.pool.get().await.expect("db");
    client
        .batch_execute(
            "alter table messages add constraint refuse_poison check (content <> 'poison') not valid",
        )
        .await
        .expect("constraint added");
    alice.send_json(text(bob.id, "p", "poison")).await;
    let refused = ack_of(&mut alice, "p").await;
    assert_eq!(refused["code"], "unavailable", "{refused}");
    // The writer goes on, and its seq counters did not skip the failed batch.
    alice.send_json(text(bob.id, "m2", "fine again")).await;
    assert_eq!(ack_of(&mut alice, "m2").await["seq"], 2);
    // Once the store accepts it, the resend with the same cid is stored once.
    client
        .batch_execute("alter table messages drop constraint refuse_poison")
        .await
        .expect("constraint dropped");
    alice.send_json(text(bob.id, "p", "poison")).await;
    assert_eq!(ack_of(&mut alice, "p").await["seq"], 3);
    assert_eq!(message_count(&app).await, 3);
    let metrics = app.metrics().await;
    assert!(metric_value(&metrics, "natter_commit_failures_total") >= 1.0);
}

/// Catches up until `more` is empty, a request at a time with the cursors of what was seen, as the
/// page does; returns the requests made and every `(conv, seq)` replayed, in arrival order.
async fn catch_up_to_the_end(ws: &mut WsClient) -> (usize, Vec<(i64, i64)>) {
    let mut cursors = serde_json::Map::new();
    let mut seen = Vec::new();
    for request in 1..=50 {
        ws.send_json(json!({"cmd": 30, "cursors": cursors})).await;
        let done = loop {
            let v = ws
                .recv_until(|v| is_cmd(v, 10) || is_cmd(v, 31), WAIT)
                .await;
            if is_cmd(&v, 31) {
                break v;
            }
            let (conv, seq) = (
                v["conv"].as_i64().expect("conv"),
                v["seq"].as_i64().expect("seq"),
            );
            cursors.insert(conv.to_string(), json!(seq));
            seen.push((conv, seq));
        };
        if done["more"] == json!([]) {
            return (request, seen);
        }
    }
    panic!("catch-up did not end; saw {seen:?}");
}

/// Three users send four messages each to a reader, who then catches up under `limits`.
async fn bounded_catch_up(
    limits: impl FnOnce(&mut natter_hub::Config),
) -> (usize, Vec<(i64, i64)>) {
    let app = spawn_app_with(|c| {
        unthrottled(c);
        limits(c);
    })
    .await;
    let (reader, reader_token) = app.register("reader").await;
    for name in ["alice", "carol", "dave"] {
        let (_, token) = app.register(name).await;
        let mut ws = app.ws(&token).await;
        for i in 0..4 {
            let cid = format!("{name}{i}");
            ws.send_json(text(reader.id, &cid, &format!("{name} says {i}")))
                .await;
            assert!(is_cmd(&ack_of(&mut ws, &cid).await, 20));
        }
    }
    let mut ws = app.ws(&reader_token).await;
    catch_up_to_the_end(&mut ws).await
}

fn assert_each_message_once_in_order(seen: &[(i64, i64)]) {
    let mut by_conv: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for (conv, seq) in seen {
        by_conv.entry(*conv).or_default().push(*seq);
    }
    assert_eq!(by_conv.len(), 3, "{seen:?}");
    for seqs in by_conv.values() {
        assert_eq!(seqs, &[1, 2, 3, 4], "{seen:?}");
    }
}

#[tokio::test]
async fn catch_up_is_bounded_in_messages_per_request_and_pages_on_with_more() {
    let (requests, seen) = bounded_catch_up(|c| c.catch_up_max_rows = 5).await;
    assert_each_message_once_in_order(&seen);
    assert_eq!(requests, 3, "12 messages, 5 per request");
}

#[tokio::test]
async fn catch_up_is_bounded_in_bytes_per_request_and_pages_on_with_more() {
    // A replayed frame here is about 125 bytes: three fit in a request.
    let (requests, seen) = bounded_catch_up(|c| c.catch_up_max_bytes = 400).await;
    assert_each_message_once_in_order(&seen);
    assert!((4..=6).contains(&requests), "{requests} requests");
}

#[tokio::test]
async fn membership_changes_made_through_the_api_apply_to_open_connections() {
    let app = spawn_app().await;
    let (_, owner_token) = app.register("owner").await;
    let (joiner, joiner_token) = app.register("joiner").await;
    let (_, friend_token) = app.register("friend").await;
    let group = app.create_group(&owner_token, "late").await;
    let group_id = group["id"].as_i64().expect("id");
    let mut owner = app.ws(&owner_token).await;
    let mut ws = app.ws(&joiner_token).await;
    let mut friend = app.ws(&friend_token).await;
    let to_group = |cid: &str| json!({"cmd": 11, "dstid": group_id, "cid": cid, "content": "hi"});

    ws.send_json(to_group("before")).await;
    assert_eq!(ack_of(&mut ws, "before").await["code"], "not_member");
    // Joined while connected: sends are accepted and the group's messages arrive.
    app.join_group(&joiner_token, group_id).await;
    ws.send_json(to_group("joined")).await;
    assert!(is_cmd(&ack_of(&mut ws, "joined").await, 20));
    assert_eq!(
        owner.recv_until(|v| is_cmd(v, 11), WAIT).await["cid"],
        "joined"
    );
    owner
        .send_json(json!({"cmd": 11, "dstid": group_id, "cid": "o1", "content": "welcome"}))
        .await;
    assert_eq!(ws.recv_until(|v| is_cmd(v, 11), WAIT).await["cid"], "o1");
    // Left while connected: refused again.
    let (status, _) = app
        .post(
            &format!("/api/v1/groups/{group_id}/leave"),
            Some(&joiner_token),
            &json!({}),
        )
        .await;
    assert_eq!(status, 204);
    ws.send_json(to_group("left")).await;
    assert_eq!(ack_of(&mut ws, "left").await["code"], "not_member");
    // A contact added while both are connected is told of the other's presence, and later changes.
    app.add_contact(&friend_token, joiner.id).await;
    let online = friend.recv_until(|v| is_cmd(v, 14), WAIT).await;
    assert_eq!(
        (&online["userid"], &online["online"]),
        (&json!(joiner.id), &json!(true))
    );
    drop(ws);
    let offline = friend.recv_until(|v| is_cmd(v, 14), WAIT).await;
    assert_eq!(
        (&offline["userid"], &offline["online"]),
        (&json!(joiner.id), &json!(false))
    );
}
