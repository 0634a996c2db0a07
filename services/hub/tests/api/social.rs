//! Contacts, groups and user search over HTTP.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn contacts_are_mutual_show_presence_and_can_be_removed() {
    let app = spawn_app().await;
    let (alice, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    app.add_contact(&alice_token, bob.id).await;
    let (_, bobs) = app.get("/api/v1/contacts", Some(&bob_token)).await;
    assert_eq!(
        bobs[0]["user"]["id"], alice.id,
        "bob sees alice too: {bobs}"
    );
    assert_eq!(bobs[0]["online"], false);

    let _alice_ws = app.ws(&alice_token).await;
    let (_, bobs) = app.get("/api/v1/contacts", Some(&bob_token)).await;
    assert_eq!(bobs[0]["online"], true, "alice is online now");

    let (status, _) = app
        .delete(&format!("/api/v1/contacts/{}", alice.id), Some(&bob_token))
        .await;
    assert_eq!(status, 204);
    let (_, alices) = app.get("/api/v1/contacts", Some(&alice_token)).await;
    assert_eq!(alices, json!([]), "removed both ways");
}

#[tokio::test]
async fn bad_contact_requests_are_refused() {
    let app = spawn_app().await;
    let (alice, token) = app.register("alice").await;
    let (status, _) = app
        .post(
            "/api/v1/contacts",
            Some(&token),
            &json!({"user_id": alice.id}),
        )
        .await;
    assert_eq!(status, 422, "not yourself");
    let (status, _) = app
        .post(
            "/api/v1/contacts",
            Some(&token),
            &json!({"user_id": 424242}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post("/api/v1/contacts", Some(&token), &json!({"user": 1}))
        .await;
    assert_eq!(status, 422);
    let (status, _) = app.delete("/api/v1/contacts/424242", Some(&token)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn adding_a_contact_twice_keeps_one_link_each_way() {
    let app = spawn_app().await;
    let (alice, alice_token) = app.register("alice").await;
    let (bob, bob_token) = app.register("bob").await;
    app.add_contact(&alice_token, bob.id).await;
    app.add_contact(&alice_token, bob.id).await;
    app.add_contact(&bob_token, alice.id).await;
    for token in [&alice_token, &bob_token] {
        let (_, contacts) = app.get("/api/v1/contacts", Some(token)).await;
        assert_eq!(contacts.as_array().map(Vec::len), Some(1), "{contacts}");
    }
    let links: i64 = app
        .pool
        .get()
        .await
        .expect("db")
        .query_one("select count(*) from contacts", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(links, 2, "one row each way");
}

#[tokio::test]
async fn users_can_be_found_by_name() {
    let app = spawn_app().await;
    let (_, token) = app.register("alice").await;
    app.register("alicia").await;
    app.register("bob").await;
    let (status, found) = app.get("/api/v1/users?q=ali", Some(&token)).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = found
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, ["alice", "alicia"]);
    let (_, none) = app.get("/api/v1/users?q=%25", Some(&token)).await;
    assert_eq!(none, json!([]), "wildcards match literally");
    assert_eq!(app.get("/api/v1/users?q=", Some(&token)).await.0, 422);
}

#[tokio::test]
async fn groups_can_be_created_joined_listed_and_left() {
    let app = spawn_app().await;
    let (owner, owner_token) = app.register("owner").await;
    let (joiner, joiner_token) = app.register("joiner").await;
    let (_, outsider_token) = app.register("outsider").await;
    let group = app.create_group(&owner_token, "Book club").await;
    let id = group["id"].as_i64().expect("id");
    assert_eq!(group["owner_id"], owner.id);
    assert_eq!(group["member_count"], 1);

    let (_, found) = app
        .get("/api/v1/groups/search?q=book", Some(&joiner_token))
        .await;
    assert_eq!(found[0]["id"], id);
    app.join_group(&joiner_token, id).await;
    app.join_group(&joiner_token, id).await;
    let (_, mine) = app.get("/api/v1/groups", Some(&joiner_token)).await;
    assert_eq!(mine[0]["member_count"], 2, "joining twice is harmless");

    let (status, members) = app
        .get(&format!("/api/v1/groups/{id}/members"), Some(&owner_token))
        .await;
    assert_eq!(status, 200);
    let ids: Vec<i64> = members
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["user"]["id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&joiner.id) && ids.contains(&owner.id));
    let (status, _) = app
        .get(
            &format!("/api/v1/groups/{id}/members"),
            Some(&outsider_token),
        )
        .await;
    assert_eq!(status, 404, "non-members do not see the member list");

    let (status, _) = app
        .post(
            &format!("/api/v1/groups/{id}/leave"),
            Some(&joiner_token),
            &json!({}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, mine) = app.get("/api/v1/groups", Some(&joiner_token)).await;
    assert_eq!(mine, json!([]));
    let (status, _) = app
        .post(
            &format!("/api/v1/groups/{id}/leave"),
            Some(&joiner_token),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404, "not a member any more");
    let history = format!("/api/v1/conversations/{}/messages", group["conv"]);
    assert_eq!(app.get(&history, Some(&joiner_token)).await.0, 404);
    assert_eq!(app.get(&history, Some(&owner_token)).await.0, 200);
    let (status, _) = app
        .post(
            "/api/v1/groups/999999/join",
            Some(&joiner_token),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post(
            "/api/v1/groups",
            Some(&joiner_token),
            &json!({"name": "  "}),
        )
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn dev_login_is_off_unless_enabled() {
    let app = spawn_app().await;
    let (status, _) = app.post("/api/v1/dev/login", None, &json!({"id": 1})).await;
    assert_eq!(status, 404);

    let mut dev = crate::helpers::spawn_app_with(|c| c.secrets.dev_login = true).await;
    for id in [0, 4, -1, i64::MIN, i64::MAX] {
        let (status, _) = dev
            .post("/api/v1/dev/login", None, &json!({"id": id}))
            .await;
        assert_eq!(status, 404, "no demo user {id}");
    }
    // Seeding again at the next start changes nothing.
    dev.restart().await;
    let (status, body) = dev.post("/api/v1/dev/login", None, &json!({"id": 2})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["username"], "bob");
    let token = body["token"].as_str().expect("token");
    let (_, groups) = dev.get("/api/v1/groups", Some(token)).await;
    assert_eq!(groups.as_array().map(Vec::len), Some(1), "{groups}");
    assert_eq!(groups[0]["name"], "Demo");
    assert_eq!(groups[0]["member_count"], 3);
    let (_, contacts) = dev.get("/api/v1/contacts", Some(token)).await;
    assert_eq!(contacts.as_array().map(Vec::len), Some(2), "{contacts}");
    let users: i64 = dev
        .pool
        .get()
        .await
        .expect("db")
        .query_one("select count(*) from users", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(users, 3);
}

#[tokio::test]
async fn a_user_may_create_and_join_only_so_many_groups() {
    let app = crate::helpers::spawn_app_with(|c| c.max_groups_per_user = 3).await;
    let (_, token) = app.register("joiner").await;
    let (_, other_token) = app.register("other").await;
    let mut theirs = [0; 3];
    for (id, name) in theirs.iter_mut().zip(["g1", "g2", "g3"]) {
        *id = app.create_group(&other_token, name).await["id"]
            .as_i64()
            .expect("id");
    }
    let mine = app.create_group(&token, "mine").await;
    app.join_group(&token, theirs[0]).await;
    // Two joins race for the last place: exactly one gets it.
    let paths = theirs.map(|group| format!("/api/v1/groups/{group}/join"));
    let empty = json!({});
    let (a, b) = tokio::join!(
        app.post(&paths[1], Some(&token), &empty),
        app.post(&paths[2], Some(&token), &empty),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let (refused_group, refused) = if a.0 == 409 {
        (theirs[1], a.1)
    } else {
        (theirs[2], b.1)
    };
    assert_eq!(refused["error"]["code"], "too_many_groups", "{refused}");
    let (status, body) = app
        .post("/api/v1/groups", Some(&token), &json!({"name": "one more"}))
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("too_many_groups"))
    );
    // Joining a group one is in stays harmless at the cap; leaving makes room.
    app.join_group(&token, theirs[0]).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/groups/{}/leave", mine["id"]),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(status, 204);
    app.join_group(&token, refused_group).await;
    let (_, groups) = app.get("/api/v1/groups", Some(&token)).await;
    assert_eq!(groups.as_array().map(Vec::len), Some(3), "{groups}");
}
