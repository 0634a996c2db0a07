//! The conversation list and history paging.

use serde_json::json;

use crate::helpers::{WsClient, spawn_app_with, unthrottled};

async fn send_direct(ws: &mut WsClient, to: i64, cid: &str, content: &str) -> serde_json::Value {
    ws.send_json(json!({"cmd": 10, "dstid": to, "cid": cid, "content": content}))
        .await;
    ws.recv_until(|v| v["cid"] == cid, std::time::Duration::from_secs(10))
        .await
}

#[tokio::test]
async fn history_pages_back_newest_first_and_only_for_members() {
    let app = spawn_app_with(unthrottled).await;
    let (_, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    let (_, eve_token) = app.register("eve").await;
    let mut alice = app.ws(&alice_token).await;
    let mut conv = 0;
    for i in 1..=25 {
        conv = send_direct(
            &mut alice,
            bob.id,
            &format!("h{i}"),
            &format!("message {i}"),
        )
        .await["conv"]
            .as_i64()
            .expect("conv");
    }
    let path = format!("/api/v1/conversations/{conv}/messages");
    let (status, first) = app.get(&format!("{path}?limit=10"), Some(&bob_token)).await;
    assert_eq!(status, 200);
    let seqs = |page: &serde_json::Value| -> Vec<i64> {
        page["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["seq"].as_i64())
            .collect()
    };
    assert_eq!(seqs(&first), (16..=25).rev().collect::<Vec<_>>());
    assert_eq!(first["more"], true);
    let (_, second) = app
        .get(&format!("{path}?limit=10&before=16"), Some(&bob_token))
        .await;
    assert_eq!(seqs(&second), (6..=15).rev().collect::<Vec<_>>());
    let (_, last) = app
        .get(&format!("{path}?limit=10&before=6"), Some(&bob_token))
        .await;
    assert_eq!(seqs(&last), (1..=5).rev().collect::<Vec<_>>());
    assert_eq!(last["more"], false);
    assert_eq!(last["messages"][4]["content"], "message 1");

    assert_eq!(
        app.get(&path, Some(&eve_token)).await.0,
        404,
        "not eve's conversation"
    );
    assert_eq!(
        app.get(&format!("{path}?before=-1"), Some(&bob_token))
            .await
            .0,
        422
    );
    assert_eq!(
        app.get(&format!("{path}?limit=abc"), Some(&bob_token))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn the_conversation_list_counts_unread_and_shows_the_last_message() {
    let app = spawn_app_with(unthrottled).await;
    let (alice, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    let group = app.create_group(&alice_token, "crew").await;
    app.join_group(&bob_token, group["id"].as_i64().expect("id"))
        .await;
    let mut alice_ws = app.ws(&alice_token).await;
    for i in 1..=3 {
        send_direct(&mut alice_ws, bob.id, &format!("u{i}"), &format!("hi {i}")).await;
    }
    let (status, list) = app.get("/api/v1/conversations", Some(&bob_token)).await;
    assert_eq!(status, 200);
    let direct = list
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["kind"] == "direct")
        .expect("direct")
        .clone();
    assert_eq!(direct["peer"]["id"], alice.id);
    assert_eq!(direct["unread"], 3);
    assert_eq!(direct["last_message"]["content"], "hi 3");
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .any(|c| c["kind"] == "group" && c["group"]["name"] == "crew")
    );

    // Bob reads up to seq 2: one unread left; alice's view shows bob's read mark.
    let mut bob_ws = app.ws(&bob_token).await;
    bob_ws
        .send_json(json!({"cmd": 13, "conv": direct["conv"], "seq": 2}))
        .await;
    alice_ws
        .recv_until(|v| v["cmd"] == 13, std::time::Duration::from_secs(10))
        .await;
    let (_, list) = app.get("/api/v1/conversations", Some(&bob_token)).await;
    let direct = list
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["kind"] == "direct")
        .expect("direct")
        .clone();
    assert_eq!(
        (direct["read_seq"].as_i64(), direct["unread"].as_i64()),
        (Some(2), Some(1))
    );
    let (_, list) = app.get("/api/v1/conversations", Some(&alice_token)).await;
    let direct = list
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["kind"] == "direct")
        .expect("direct")
        .clone();
    assert_eq!(direct["peer_read_seq"], 2);
    assert_eq!(direct["unread"], 0, "own messages are not unread");

    let (status, opened) = app
        .post(
            "/api/v1/conversations/direct",
            Some(&bob_token),
            &json!({"user_id": alice.id}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        opened["conv"], direct["conv"],
        "the same conversation, not a new one"
    );

    // A group message makes the group the most recent conversation.
    let group_id = group["id"].as_i64().expect("id");
    alice_ws
        .send_json(json!({"cmd": 11, "dstid": group_id, "cid": "g1", "content": "to the crew"}))
        .await;
    alice_ws
        .recv_until(
            |v| v["cid"] == "g1" && v["cmd"] == 20,
            std::time::Duration::from_secs(10),
        )
        .await;
    let (_, list) = app.get("/api/v1/conversations", Some(&bob_token)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let first = &list[0];
    assert_eq!(first["kind"], "group", "{list}");
    assert_eq!(first["conv"], group["conv"]);
    assert_eq!(first["group"]["id"], group_id);
    assert_eq!(first["group"]["member_count"], 2);
    assert_eq!(first["last_message"]["content"], "to the crew");
    assert_eq!(
        (first["last_seq"].as_i64(), first["unread"].as_i64()),
        (Some(1), Some(1))
    );
    assert!(first.get("peer").is_none(), "a group has no peer: {first}");
    assert_eq!(list[1]["kind"], "direct");
    assert!(
        list[1].get("group").is_none(),
        "a direct conversation has no group"
    );
}
