//! Identity and access end to end: the operator's Project and ChaosUser controllers, the apiserver's auth
//! API over real HTTP with sessions in nx-27017, and Kubernetes RBAC deciding for the API and kubectl alike.
//! The operator and apiserver run as the install's ServiceAccounts, so their least-privilege RBAC is tested.

use chaoscenter_apiserver::tokens::{random_id, unix_now, Claims, TokenKeys, TokenKind};
use chaoscenter_crds::access::{member_binding, project_members, project_namespace, project_owners};
use chaoscenter_crds::common::{ConditionStatus, PROJECT_LABEL};
use chaoscenter_crds::{ChaosUser, Project};
use chaoscenter_e2e::access::{
    admin_token, kubectl_as, new_user, wait_impersonable, with_access, AccessWorld, Answer, Req, Session,
    CSRF_HEADER, REFRESH_COOKIE, SCOPE_LABEL,
};
use chaoscenter_e2e::{events_for, wait_for};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, RoleBinding};
use kube::api::{Api, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::Client;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// A cluster-unique name for a test's user or project: `<base>-<the test namespace's random suffix>`.
fn unique(w: &AccessWorld, base: &str) -> String {
    format!("{base}-{}", w.ns.rsplit('-').next().unwrap())
}

async fn me(w: &AccessWorld, token: &str) -> (u16, Value) {
    w.api.call("GET", "/auth/me", Some(token), None).await
}

/// Waits until `user`'s RoleBinding in the project namespace grants `role` (or is gone, for `None`).
async fn wait_binding(client: &Client, project: &str, user: &str, role: Option<&str>) {
    let api: Api<RoleBinding> = Api::namespaced(client.clone(), &project_namespace(project));
    let want = role.map(|r| format!("chaoscenter:project-{}", r.to_lowercase()));
    wait_for(WAIT, &format!("{user}'s binding in {project} to be {want:?}"), || async {
        let found = api.get_opt(&member_binding(user)).await.ok()?.map(|b| b.role_ref.name);
        (found == want).then_some(())
    })
    .await;
}

#[tokio::test]
async fn user_lifecycle_from_first_admin_to_disabled_user() {
    with_access("auth-life", &[], |w| async move {
        let api = &w.api;
        // the first admin: the generated password works only to change it
        let first = api.login(&w.admin, &w.admin_password).await;
        assert_eq!(first["mustChangePassword"], true);
        let t0 = first["accessToken"].as_str().unwrap().to_string();
        let (status, body) = api.call("GET", "/auth/users", Some(&t0), None).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["error"].as_str().unwrap().contains("change your password"), "{body}");
        let admin = admin_token(&w).await;
        assert_eq!(me(&w, &t0).await.0, 401, "the token from before the password change is dead");
        let secrets: Api<Secret> = Api::namespaced(w.client.clone(), &w.ns);
        wait_for(WAIT, "the initial password Secret to be deleted", || async {
            secrets.get_opt("chaoscenter-initial-admin").await.ok()?.is_none().then_some(())
        })
        .await;
        let (status, _) = api
            .call(
                "POST",
                "/auth/login",
                None,
                Some(json!({"username": w.admin, "password": w.admin_password})),
            )
            .await;
        assert_eq!(status, 401, "the generated password no longer works");

        // a new user: must change the given password, then works
        let bob = unique(&w, "bob");
        let bob_token = new_user(&w, &admin, &bob, "bob-password-2").await;
        let (status, who) = me(&w, &bob_token).await;
        assert_eq!(
            (status, who["username"].as_str(), who["role"].as_str()),
            (200, Some(bob.as_str()), Some("user"))
        );
        let (status, body) = api
            .call("POST", "/auth/login", None, Some(json!({"username": bob, "password": "bob-password-X"})))
            .await;
        assert_eq!((status, body["error"].as_str()), (401, Some("wrong username or password")));
        let (status, body) = api
            .call(
                "POST",
                "/auth/login",
                None,
                Some(json!({"username": "nobody-at-all", "password": "x-password-1"})),
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("wrong username or password")),
            "unknown users look the same"
        );

        // own details
        let (status, body) = api
            .call(
                "PATCH",
                "/auth/me",
                Some(&bob_token),
                Some(json!({"displayName": "Bob B", "email": "bob@example.com"})),
            )
            .await;
        assert_eq!((status, body["displayName"].as_str()), (200, Some("Bob B")), "{body}");
        let (status, body) =
            api.call("PATCH", "/auth/me", Some(&bob_token), Some(json!({"role": "admin"}))).await;
        assert_eq!(status, 422, "a user cannot make themselves admin: {body}");
        let stored = Api::<ChaosUser>::all(w.client.clone()).get(&bob).await.unwrap();
        assert_eq!(
            (stored.spec.email.as_str(), format!("{:?}", stored.spec.role)),
            ("bob@example.com", "User".into())
        );

        // refresh rotates: the old refresh token is used up
        let session = api.session(&bob, "bob-password-2").await;
        let renewed = api.refresh(&session.refresh).await;
        assert_eq!(renewed.status, 200, "{}", renewed.body);
        assert_eq!(me(&w, renewed.body["accessToken"].as_str().unwrap()).await.0, 200);
        assert_eq!(api.refresh(&session.refresh).await.status, 401, "a refresh token works once");

        // logout ends the session: its access token and its refresh token
        let session = api.session(&bob, "bob-password-2").await;
        assert_eq!(api.logout(&session.access).await, 204);
        let (status, body) = me(&w, &session.access).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("the session has ended; sign in again")));
        assert_eq!(api.refresh(&session.refresh).await.status, 401);

        // a project membership gives kubectl access as chaoscenter:<user>
        let project = unique(&w, "life");
        let (status, body) = api
            .call(
                "POST",
                "/auth/projects",
                Some(&admin),
                Some(json!({"name": project, "displayName": "Lifecycle"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = api
            .call(
                "POST",
                &format!("/auth/projects/{project}/members"),
                Some(&admin),
                Some(json!({"user": bob, "role": "Viewer"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        wait_binding(&w.client, &project, &bob, Some("Viewer")).await;
        let pns = project_namespace(&project);
        wait_for(WAIT, "bob may list workflows", || async {
            kubectl_as(&bob, &["get", "chaosworkflows", "-n", &pns]).0.then_some(())
        })
        .await;
        wait_for(WAIT, "bob's status to list the project", || async {
            let u = Api::<ChaosUser>::all(w.client.clone()).get(&bob).await.ok()?;
            u.status?.projects.iter().any(|p| p.project == project).then_some(())
        })
        .await;

        // disabling: tokens die, login is refused, the binding goes; enabling brings access back
        let live = api.login(&bob, "bob-password-2").await["accessToken"].as_str().unwrap().to_string();
        let (status, body) =
            api.call("POST", &format!("/auth/users/{bob}/disable"), Some(&admin), None).await;
        assert_eq!((status, body["disabled"].as_bool()), (200, Some(true)), "{body}");
        assert_eq!(me(&w, &live).await.0, 401);
        let (status, body) = api
            .call("POST", "/auth/login", None, Some(json!({"username": bob, "password": "bob-password-2"})))
            .await;
        // refused as a wrong password: the answer never confirms a disabled user's password
        assert_eq!((status, body["error"].as_str()), (401, Some("wrong username or password")));
        wait_binding(&w.client, &project, &bob, None).await;
        let (allowed, out) = kubectl_as(&bob, &["get", "chaosworkflows", "-n", &pns]);
        assert!(!allowed && out.contains("forbidden"), "{out}");
        let (status, _) = api.call("POST", &format!("/auth/users/{bob}/enable"), Some(&admin), None).await;
        assert_eq!(status, 200);
        wait_binding(&w.client, &project, &bob, Some("Viewer")).await;
        let fresh = api.login(&bob, "bob-password-2").await;
        assert_eq!(me(&w, fresh["accessToken"].as_str().unwrap()).await.0, 200);

        // an admin resets a password: old sessions end, the new one must be changed
        let before = api.login(&bob, "bob-password-2").await["accessToken"].as_str().unwrap().to_string();
        let (status, body) = api
            .call(
                "POST",
                &format!("/auth/users/{bob}/password"),
                Some(&admin),
                Some(json!({"newPassword": "reset-password-3"})),
            )
            .await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(me(&w, &before).await.0, 401);
        let after = api.login(&bob, "reset-password-3").await;
        assert_eq!(after["mustChangePassword"], true);
        // a non-admin may not reset anyone's password, nor list users
        let (status, body) = api
            .call(
                "POST",
                &format!("/auth/users/{}/password", w.admin),
                Some(&bob_token_after(&w, &bob).await),
                Some(json!({"newPassword": "hijacked-password"})),
            )
            .await;
        assert_eq!(status, 403, "{body}");

        // repeated failures are throttled, even for the right password afterwards
        let carol = unique(&w, "carol");
        new_user(&w, &admin, &carol, "carol-password-2").await;
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(
                api.call(
                    "POST",
                    "/auth/login",
                    None,
                    Some(json!({"username": carol, "password": "not-carols-pass"})),
                )
                .await
                .0,
            );
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
        let (status, body) = api
            .call(
                "POST",
                "/auth/login",
                None,
                Some(json!({"username": carol, "password": "carol-password-2"})),
            )
            .await;
        assert_eq!(status, 429, "{body}");
        assert!(body["error"].as_str().unwrap().contains("too many failed attempts"), "{body}");
    })
    .await;
}

/// Bob's token after the reset (changes the reset password first).
async fn bob_token_after(w: &AccessWorld, bob: &str) -> String {
    w.api.first_login(bob, "reset-password-3", "bob-password-4").await
}

#[tokio::test]
async fn revocations_survive_a_restart_and_tokens_expire() {
    with_access("auth-restart", &[], |mut w| async move {
        let admin = admin_token(&w).await;
        let dave = unique(&w, "dave");
        new_user(&w, &admin, &dave, "dave-password-2").await;
        let kept = w.api.login(&dave, "dave-password-2").await["accessToken"].as_str().unwrap().to_string();
        let revoked =
            w.api.login(&dave, "dave-password-2").await["accessToken"].as_str().unwrap().to_string();
        assert_eq!(w.api.logout(&revoked).await, 204);

        // API tokens: work until revoked; listed without the secret part
        let (status, created) = w
            .api
            .call(
                "POST",
                "/auth/tokens",
                Some(&kept),
                Some(json!({"name": "ci", "daysUntilExpiry": 30, "currentPassword": "dave-password-2"})),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let api_token = created["token"].as_str().unwrap().to_string();
        let id = created["id"].as_str().unwrap().to_string();
        let (status, who) = me(&w, &api_token).await;
        assert_eq!((status, who["username"].as_str()), (200, Some(dave.as_str())));
        let (_, list) = w.api.call("GET", "/auth/tokens", Some(&kept), None).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["name"], "ci");
        assert!(list[0].get("token").is_none(), "the token itself is shown once: {list}");
        let (status, _) = w
            .api
            .call(
                "POST",
                "/auth/tokens",
                Some(&kept),
                Some(json!({"name": "x", "daysUntilExpiry": 400, "currentPassword": "dave-password-2"})),
            )
            .await;
        assert_eq!(status, 400, "expiry is capped");

        w.api.restart(&[]).await;
        assert_eq!(me(&w, &kept).await.0, 200, "the signing key survives a restart");
        assert_eq!(me(&w, &revoked).await.0, 401, "a revocation survives a restart");
        assert_eq!(me(&w, &api_token).await.0, 200);
        // someone else cannot revoke it
        let (status, _) = w.api.call("DELETE", &format!("/auth/tokens/{id}"), Some(&admin), None).await;
        assert_eq!(status, 404);
        assert_eq!(w.api.call("DELETE", &format!("/auth/tokens/{id}"), Some(&kept), None).await.0, 204);
        let (status, body) = me(&w, &api_token).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("the API token has been revoked or has expired"))
        );

        // expiry: a 1 s access token (validated with 5 s leeway) stops working
        w.api.restart(&[("ACCESS_TOKEN_TTL", "1s")]).await;
        let short = w.api.login(&dave, "dave-password-2").await["accessToken"].as_str().unwrap().to_string();
        assert_eq!(me(&w, &short).await.0, 200);
        tokio::time::sleep(Duration::from_secs(8)).await;
        let (status, body) = me(&w, &short).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("the token has expired")));
    })
    .await;
}

/// Creates an API token as `access` giving `password` (or none): the answer.
async fn create_token(w: &AccessWorld, access: &str, password: Option<&str>) -> (u16, Value) {
    let mut body = json!({"name": "ci", "daysUntilExpiry": 30});
    if let Some(password) = password {
        body["currentPassword"] = password.into();
    }
    w.api.call("POST", "/auth/tokens", Some(access), Some(body)).await
}

/// A new API token of the user signed in as `access`, whose password is `password`.
async fn api_token(w: &AccessWorld, access: &str, password: &str) -> String {
    let (status, body) = create_token(w, access, Some(password)).await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(me(w, &token).await.0, 200, "control: the new API token works");
    token
}

#[tokio::test]
async fn api_tokens_need_the_password_and_end_with_a_reset_a_disable_and_a_re_creation() {
    with_access("auth-apitok", &[], |w| async move {
        let api = &w.api;
        let admin = admin_token(&w).await;
        let dave = unique(&w, "dave");
        let access = new_user(&w, &admin, &dave, "dave-password-2").await;

        // creating one asks for the current password
        let (status, body) = create_token(&w, &access, None).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"].as_str().unwrap().starts_with("currentPassword: "), "{body}");
        let (status, body) = create_token(&w, &access, Some("not-daves-password")).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("currentPassword: the password is wrong")));
        assert_eq!(api.call("GET", "/auth/tokens", Some(&access), None).await.1, json!([]), "none was made");

        // an admin resets the password: the token ends
        let token = api_token(&w, &access, "dave-password-2").await;
        let reset = json!({"newPassword": "reset-password-3"});
        let (status, body) =
            api.call("POST", &format!("/auth/users/{dave}/password"), Some(&admin), Some(reset)).await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(me(&w, &token).await.0, 401, "the API token after a reset");

        // disabled and enabled again through the API: the token stays ended
        let access = api.first_login(&dave, "reset-password-3", "dave-password-4").await;
        let token = api_token(&w, &access, "dave-password-4").await;
        for action in ["disable", "enable"] {
            let (status, body) =
                api.call("POST", &format!("/auth/users/{dave}/{action}"), Some(&admin), None).await;
            assert_eq!(status, 200, "{action}: {body}");
        }
        let access = api.login(&dave, "dave-password-4").await["accessToken"].as_str().unwrap().to_string();
        assert_eq!(me(&w, &access).await.0, 200, "control: dave is enabled again");
        assert_eq!(me(&w, &token).await.0, 401, "the API token after disable and enable");

        // disabled and enabled with kubectl instead: the apiserver sees it and the token stays ended
        let token = api_token(&w, &access, "dave-password-4").await;
        let users: Api<ChaosUser> = Api::all(w.client.clone());
        let generations = w.api.database().await.collection::<mongodb::bson::Document>("auth_generations");
        for disabled in [true, false] {
            let patch = json!({"spec": {"disabled": disabled}});
            users.patch(&dave, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
            wait_for(WAIT, &format!("the apiserver to see {dave} disabled={disabled}"), || async {
                let seen = generations.find_one(mongodb::bson::doc! {"_id": &dave}).await.ok()??;
                (seen.get_bool("disabled").ok()? == disabled).then_some(())
            })
            .await;
        }
        let access = api.login(&dave, "dave-password-4").await["accessToken"].as_str().unwrap().to_string();
        assert_eq!(me(&w, &token).await.0, 401, "the API token after a disable and enable by kubectl");

        // deleted and created again under the same name: another user, whom the old token is not for
        let token = api_token(&w, &access, "dave-password-4").await;
        users.delete(&dave, &Default::default()).await.unwrap();
        let secrets: Api<Secret> = Api::namespaced(w.client.clone(), &w.ns);
        let secret = chaoscenter_crds::access::password_secret(&dave);
        wait_for(WAIT, "the user and their password Secret to be gone", || async {
            let gone =
                users.get_opt(&dave).await.ok()?.is_none() && secrets.get_opt(&secret).await.ok()?.is_none();
            gone.then_some(())
        })
        .await;
        let access = new_user(&w, &admin, &dave, "dave-password-5").await;
        assert_eq!(me(&w, &access).await.0, 200, "control: the new dave signs in");
        let (status, body) = me(&w, &token).await;
        assert_eq!(status, 401, "the old dave's API token: {body}");
        assert!(body["error"].as_str().unwrap().contains("earlier user of this name"), "{body}");
        let (status, list) = api.call("GET", "/auth/tokens", Some(&access), None).await;
        assert_eq!((status, list), (200, json!([])), "the old dave's tokens are not the new dave's");
    })
    .await;
}

#[tokio::test]
async fn sessions_end_at_logout_at_a_reused_refresh_token_and_at_their_lifetime() {
    with_access("auth-session", &[], |mut w| async move {
        let admin = admin_token(&w).await;
        let erin = unique(&w, "erin");
        let password = "erin-password-2";
        new_user(&w, &admin, &erin, password).await;
        let api = &w.api;

        // the refresh token is only in an HttpOnly, SameSite=Strict cookie that only /auth/session gets
        let login = json!({"username": erin, "password": password});
        let answer =
            api.request("POST", "/auth/login", Req { body: Some(login), ..Default::default() }).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(answer.body.get("refreshToken").is_none(), "not in the JSON: {}", answer.body);
        let cookie = answer.set_cookie().expect("the session cookie");
        for attribute in ["; Path=/auth/session;", "; HttpOnly", "; SameSite=Strict"] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        assert!(
            !cookie.contains("Secure"),
            "plain HTTP from loopback is not Secure (COOKIE_SECURE=auto): {cookie}"
        );
        let first = Session {
            access: answer.body["accessToken"].as_str().unwrap().into(),
            refresh: answer.refresh_cookie().unwrap(),
            body: answer.body,
        };

        // a refresh needs the cookie and the CSRF header
        let cookie_only = [("cookie", format!("{REFRESH_COOKIE}={}", first.refresh))];
        let refused = api
            .request("POST", "/auth/session/refresh", Req { headers: &cookie_only, ..Default::default() })
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.body["error"].as_str().unwrap().contains(CSRF_HEADER), "{}", refused.body);
        let csrf_only = [(CSRF_HEADER, "1".to_string())];
        let body = Some(json!({"refreshToken": first.refresh}));
        let refused = api
            .request("POST", "/auth/session/refresh", Req { headers: &csrf_only, body, ..Default::default() })
            .await;
        assert_eq!(refused.status, 401, "a refresh token in the body is not taken: {}", refused.body);
        let renewed = api.refresh(&first.refresh).await;
        assert_eq!(renewed.status, 200, "{}", renewed.body);
        let (second_access, second_refresh) =
            (renewed.body["accessToken"].as_str().unwrap().to_string(), renewed.refresh_cookie().unwrap());
        assert_ne!(second_refresh, first.refresh, "each refresh sets a new refresh token");
        assert_eq!(me(&w, &second_access).await.0, 200);
        assert_eq!(me(&w, &first.access).await.0, 200, "the session's earlier access token still works");

        // a spent refresh token presented again ends the whole session: every access token and the
        // refresh token issued for it
        let reused = api.refresh(&first.refresh).await;
        assert_eq!(reused.status, 401, "{}", reused.body);
        assert!(reused.body["error"].as_str().unwrap().contains("already been used"), "{}", reused.body);
        assert_eq!(reused.refresh_cookie().as_deref(), Some(""), "the cookie is cleared");
        for token in [&first.access, &second_access] {
            let (status, body) = me(&w, token).await;
            assert_eq!((status, body["error"].as_str()), (401, Some("the session has ended; sign in again")));
        }
        assert_eq!(api.refresh(&second_refresh).await.status, 401, "the newer refresh token ended too");

        // logout ends every token of its session, and no other session
        let session = api.session(&erin, password).await;
        let other = api.session(&erin, password).await;
        let renewed = api.refresh(&session.refresh).await;
        assert_eq!(renewed.status, 200, "{}", renewed.body);
        let renewed_access = renewed.body["accessToken"].as_str().unwrap().to_string();
        assert_eq!(api.logout(&renewed_access).await, 204);
        assert_eq!(me(&w, &session.access).await.0, 401, "the session's other access token");
        assert_eq!(me(&w, &renewed_access).await.0, 401);
        assert_eq!(api.refresh(&renewed.refresh_cookie().unwrap()).await.status, 401);
        assert_eq!(me(&w, &other.access).await.0, 200, "another session of the same user goes on");
        // a browser whose access token has expired signs out with the cookie (and the CSRF header)
        let cookie_only = [("cookie", format!("{REFRESH_COOKIE}={}", other.refresh))];
        let refused = api
            .request("POST", "/auth/session/logout", Req { headers: &cookie_only, ..Default::default() })
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let both = [cookie_only[0].clone(), (CSRF_HEADER, "1".to_string())];
        let out =
            api.request("POST", "/auth/session/logout", Req { headers: &both, ..Default::default() }).await;
        assert_eq!(out.status, 204, "{}", out.body);
        assert_eq!(out.refresh_cookie().as_deref(), Some(""), "the cookie is cleared");
        assert_eq!(me(&w, &other.access).await.0, 401);

        // a session ends at its lifetime however often it is refreshed (here 40 s; each refresh token
        // alone would live 40 s from its refresh)
        w.api
            .restart(&[
                ("SESSION_LIFETIME", "40s"),
                ("REFRESH_TOKEN_TTL", "40s"),
                ("ACCESS_TOKEN_TTL", "30s"),
            ])
            .await;
        let started = tokio::time::Instant::now();
        let session = w.api.session(&erin, password).await;
        let ends_at = session.body["sessionEndsAt"].as_u64().unwrap();
        assert!(ends_at <= unix_now() + 40, "{}", session.body);
        tokio::time::sleep_until(started + Duration::from_secs(20)).await;
        let renewed = w.api.refresh(&session.refresh).await;
        assert_eq!(renewed.status, 200, "{}", renewed.body);
        let refreshed = tokio::time::Instant::now();
        assert_eq!(renewed.body["sessionEndsAt"].as_u64(), Some(ends_at), "a refresh does not move the end");
        assert!(renewed.body["expiresAt"].as_u64().unwrap() <= ends_at, "no access token outlives it");
        let (access, refresh) =
            (renewed.body["accessToken"].as_str().unwrap().to_string(), renewed.refresh_cookie().unwrap());
        tokio::time::sleep_until(started + Duration::from_secs(50)).await;
        assert!(unix_now() > ends_at + 5, "past the end (and the tokens' 5 s leeway)");
        assert!(
            refreshed.elapsed() < Duration::from_secs(40),
            "the refresh token alone would still be valid"
        );
        let late = w.api.refresh(&refresh).await;
        assert_eq!(late.status, 401, "{}", late.body);
        assert_eq!(me(&w, &access).await.0, 401);
    })
    .await;
}

/// The `name{labels} value` counter of Prometheus `text`, 0 if absent.
fn counter(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse::<f64>().ok())
        .map(|v| v as u64)
        .unwrap_or(0)
}

#[tokio::test]
async fn failed_logins_lock_out_an_address_never_the_right_password_from_another() {
    let env = [("METRICS_ADDR", "127.0.0.1:0"), ("HASH_WORKERS", "1"), ("HASH_QUEUE", "1")];
    with_access("auth-throttle", &env, |w| async move {
        let api = &w.api;
        let admin = admin_token(&w).await;
        let carol = unique(&w, "carol");
        new_user(&w, &admin, &carol, "carol-password-2").await;
        let login_from = |from: &str, user: String, password: &'static str| {
            let from = from.parse().unwrap();
            let body = json!({"username": user, "password": password});
            async move {
                api.request(
                    "POST",
                    "/auth/login",
                    Req { body: Some(body), from: Some(from), ..Default::default() },
                )
                .await
            }
        };

        // six wrong passwords from one address: that address may not try carol's any more ...
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(login_from("127.0.0.2", carol.clone(), "not-carols-pass").await);
        }
        assert_eq!(statuses.iter().map(|a| a.status).collect::<Vec<_>>(), [401, 401, 401, 401, 401, 429]);
        let locked = &statuses[5];
        let wait: u64 = locked.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        assert!(
            locked.body["error"].as_str().unwrap().contains("for this user from your address"),
            "{}",
            locked.body
        );
        assert_eq!(login_from("127.0.0.2", carol.clone(), "carol-password-2").await.status, 429);
        // ... but carol, from her own address, signs in
        let own = login_from("127.0.0.1", carol.clone(), "carol-password-2").await;
        assert_eq!(own.status, 200, "the right password from another address: {}", own.body);

        // an address trying many usernames is refused for any of them, and nobody else is
        let mut tried = 0;
        let refused = loop {
            let answer = login_from("127.0.0.3", format!("nobody-{tried}"), "guess-password-1").await;
            match answer.status {
                401 => tried += 1,
                429 => break answer,
                other => panic!("{other}: {}", answer.body),
            }
            assert!(tried < 200, "an address was never throttled");
        };
        assert!(tried >= 30, "30 failures are free per address, throttled after {tried}");
        assert!(refused.body["error"].as_str().unwrap().contains("from your address"), "{}", refused.body);
        assert_eq!(login_from("127.0.0.3", carol.clone(), "carol-password-2").await.status, 429);
        assert_eq!(login_from("127.0.0.1", carol.clone(), "carol-password-2").await.status, 200);

        // with the hashing queue full, a login is refused at once with 503 and Retry-After
        let burst = (1..=40).map(|n| login_from_owned(api, format!("127.0.1.{n}"), format!("ghost-{n}")));
        let answers = futures::future::join_all(burst).await;
        assert!(
            answers.iter().all(|a| a.status == 401 || a.status == 503),
            "{:?}",
            answers.iter().map(|a| a.status).collect::<Vec<_>>()
        );
        let busy = answers.iter().find(|a| a.status == 503).expect("some logins found the queue full");
        assert!(busy.headers.contains_key("retry-after"), "{:?}", busy.headers);

        // each refusal is logged with the username, address and reason (never the password), and counted
        let logs = w.api.logs();
        let line = logs
            .lines()
            .find(|l| {
                l.contains("password check refused")
                    && l.contains(&carol)
                    && l.contains("127.0.0.2")
                    && l.contains("wrong password")
            })
            .unwrap_or_else(|| panic!("no log line of carol's failures:\n{logs}"));
        assert!(!line.contains("not-carols-pass"), "{line}");
        assert!(
            logs.contains("throttled (user-and-address full)") && logs.contains("throttled (address full)"),
            "{logs}"
        );
        for password in ["not-carols-pass", "carol-password-2", "guess-password-1"] {
            assert!(!logs.contains(password), "a password in the log");
        }
        let metrics_addr = w.api.log_value("Prometheus metrics", "metrics").await;
        let text =
            reqwest::get(format!("http://{metrics_addr}/metrics")).await.unwrap().text().await.unwrap();
        let count = |result: &str| {
            counter(
                &text,
                &format!(
                    "chaoscenter_apiserver_password_checks_total{{purpose=\"login\",result=\"{result}\"}}"
                ),
            )
        };
        assert!(count("wrong-password") >= 5, "{text}");
        assert!(count("unknown-user") >= 30, "{text}");
        assert!(count("throttled") >= 4, "{text}");
        assert!(count("busy") >= 1, "{text}");
        assert!(count("success") >= 2, "{text}");
    })
    .await;
}

/// A login as the unknown `user` from `from` (owning its arguments, for many at once).
async fn login_from_owned(api: &chaoscenter_e2e::access::Apiserver, from: String, user: String) -> Answer {
    let body = json!({"username": user, "password": "guess-password-1"});
    let from = from.parse().unwrap();
    api.request("POST", "/auth/login", Req { body: Some(body), from: Some(from), ..Default::default() }).await
}

/// One row of the authorization matrix: the operation, and which roles may do it.
struct Row {
    what: &'static str,
    allowed: &'static [&'static str],
}

#[tokio::test]
async fn roles_decide_the_same_for_the_api_and_for_kubectl() {
    with_access("auth-matrix", &[], |w| async move {
        let admin = admin_token(&w).await;
        let project = unique(&w, "matrix");
        let pns = project_namespace(&project);
        let (status, body) = w
            .api
            .call("POST", "/auth/projects", Some(&admin), Some(json!({"name": project, "targetNamespaces": [w.ns]})))
            .await;
        assert_eq!(status, 201, "{body}");
        let roles = ["Owner", "Editor", "Viewer", "Outsider"];
        let mut users = Vec::new();
        for role in roles {
            let name = unique(&w, &role.to_lowercase());
            let token = new_user(&w, &admin, &name, &format!("{name}-password")).await;
            if role != "Outsider" {
                let (status, body) = w
                    .api
                    .call("POST", &format!("/auth/projects/{project}/members"), Some(&admin), Some(json!({"user": name, "role": role})))
                    .await;
                assert_eq!(status, 200, "{body}");
                wait_binding(&w.client, &project, &name, Some(role)).await;
            }
            users.push((role, name, token));
        }
        let extra = unique(&w, "extra");
        new_user(&w, &admin, &extra, "extra-password-1").await;
        let viewer = users[2].1.clone();
        let crb: Api<ClusterRoleBinding> = Api::all(w.client.clone());
        wait_for(WAIT, "the owners' binding on the Project", || async {
            let b = crb.get_opt(&project_owners(&project)).await.ok()??;
            b.subjects?.iter().any(|s| s.name == format!("chaoscenter:{}", users[0].1)).then_some(())
        })
        .await;

        let sample = std::fs::read_to_string(chaoscenter_e2e::repo_root().join("config/samples/chaosworkflow.yaml")).unwrap();
        let mut workflow: Value = serde_yaml::from_str(&sample).unwrap();
        workflow["metadata"]["namespace"] = json!(pns);
        let wf_file = std::env::temp_dir().join(format!("{}-wf.json", w.ns));
        std::fs::write(&wf_file, workflow.to_string()).unwrap();
        let wf_path = wf_file.to_str().unwrap().to_string();

        let rows = [
            Row { what: "add a member", allowed: &["Owner"] },
            Row { what: "change a member's role", allowed: &["Owner"] },
            Row { what: "see the project", allowed: &["Owner", "Editor", "Viewer"] },
            Row { what: "list users", allowed: &[] },
            Row { what: "create a project", allowed: &[] },
            Row { what: "list workflows", allowed: &["Owner", "Editor", "Viewer"] },
            Row { what: "create a workflow", allowed: &["Owner", "Editor"] },
            Row { what: "start or abort a run", allowed: &["Owner", "Editor"] },
            Row { what: "delete runs", allowed: &["Owner"] },
            Row { what: "read the project's Secrets", allowed: &[] },
        ];
        let mut disagreements = Vec::new();
        for (role, name, token) in &users {
            for row in &rows {
                let expected = row.allowed.contains(role);
                // through the apiserver, where it offers the operation (workflows come with the GraphQL API)
                let via_api = match row.what {
                    "add a member" => {
                        let (status, _) = w
                            .api
                            .call("POST", &format!("/auth/projects/{project}/members"), Some(token), Some(json!({"user": extra, "role": "Viewer"})))
                            .await;
                        if status == 200 {
                            let (status, body) = w
                                .api
                                .call("DELETE", &format!("/auth/projects/{project}/members/{extra}"), Some(token), None)
                                .await;
                            assert_eq!(status, 200, "{role} could add but not remove: {body}");
                        }
                        Some(status == 200)
                    }
                    "change a member's role" => {
                        let (status, _) = w
                            .api
                            .call("PUT", &format!("/auth/projects/{project}/members/{viewer}"), Some(token), Some(json!({"role": "Viewer"})))
                            .await;
                        Some(status == 200)
                    }
                    "see the project" => {
                        let (_, list) = w.api.call("GET", "/auth/projects", Some(token), None).await;
                        Some(list.as_array().unwrap().iter().any(|p| p["name"] == project.as_str()))
                    }
                    "list users" => Some(w.api.call("GET", "/auth/users", Some(token), None).await.0 == 200),
                    "create a project" => {
                        let body = json!({"name": unique(&w, &format!("by-{}", role.to_lowercase()))});
                        Some(w.api.call("POST", "/auth/projects", Some(token), Some(body)).await.0 == 201)
                    }
                    _ => None,
                };
                // through kubectl as the same identity (server-side dry runs change nothing)
                let project_patch = format!(r#"{{"spec":{{"displayName":"by {role}"}}}}"#);
                let new_project = format!(r#"{{"apiVersion":"chaoscenter.io/v1alpha1","kind":"Project","metadata":{{"name":"{}"}}}}"#, unique(&w, "k"));
                let new_project_file = std::env::temp_dir().join(format!("{}-{role}-project.json", w.ns));
                std::fs::write(&new_project_file, new_project).unwrap();
                let args: Vec<String> = match row.what {
                    "add a member" | "change a member's role" => {
                        vec!["patch", "project", &project, "--type", "merge", "-p", &project_patch, "--dry-run=server"].into_iter().map(String::from).collect()
                    }
                    "see the project" => vec!["get".into(), "project".into(), project.clone()],
                    "list users" => vec!["get".into(), "chaosusers".into()],
                    "create a project" => vec!["create".into(), "--dry-run=server".into(), "-f".into(), new_project_file.to_str().unwrap().into()],
                    "list workflows" => vec!["get".into(), "chaosworkflows".into(), "-n".into(), pns.clone()],
                    "create a workflow" => vec!["create".into(), "--dry-run=server".into(), "-f".into(), wf_path.clone()],
                    "start or abort a run" => vec!["auth".into(), "can-i".into(), "patch".into(), "chaosworkflowruns".into(), "-n".into(), pns.clone()],
                    "delete runs" => vec!["auth".into(), "can-i".into(), "delete".into(), "chaosworkflowruns".into(), "-n".into(), pns.clone()],
                    "read the project's Secrets" => vec!["get".into(), "secrets".into(), "-n".into(), pns.clone()],
                    other => panic!("no kubectl form for {other}"),
                };
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let (via_kubectl, out) = kubectl_as(name, &args);
                if via_kubectl != expected || via_api.is_some_and(|a| a != expected) {
                    disagreements.push(format!(
                        "{role} / {}: expected {expected}, api {via_api:?}, kubectl {via_kubectl} ({})",
                        row.what,
                        out.trim()
                    ));
                }
            }
        }
        assert!(disagreements.is_empty(), "authorization matrix:\n{}", disagreements.join("\n"));
        // the admin may do all of it
        assert!(kubectl_as(&w.admin, &["get", "chaosusers"]).0);
        assert_eq!(w.api.call("GET", "/auth/users", Some(&admin), None).await.0, 200);
    })
    .await;
}

#[tokio::test]
async fn no_secret_leaks_forged_tokens_fail_and_bad_input_changes_nothing() {
    with_access("auth-security", &[], |w| async move {
        let mut bodies: Vec<String> = Vec::new();
        let admin = admin_token(&w).await;
        let project = unique(&w, "sec");
        let (status, body) =
            w.api.call("POST", "/auth/projects", Some(&admin), Some(json!({"name": project}))).await;
        assert_eq!(status, 201, "{body}");
        let owner = unique(&w, "erin");
        let viewer = unique(&w, "frank");
        let owner_token = new_user(&w, &admin, &owner, "erin-secret-pass").await;
        let viewer_token = new_user(&w, &admin, &viewer, "frank-secret-pass").await;
        for (user, role) in [(&owner, "Owner"), (&viewer, "Viewer")] {
            let (status, body) = w
                .api
                .call(
                    "POST",
                    &format!("/auth/projects/{project}/members"),
                    Some(&admin),
                    Some(json!({"user": user, "role": role})),
                )
                .await;
            assert_eq!(status, 200, "{body}");
            bodies.push(body.to_string());
        }
        wait_binding(&w.client, &project, &viewer, Some("Viewer")).await;
        for token in [&admin, &owner_token, &viewer_token] {
            for path in ["/auth/me", "/auth/users", "/auth/projects", "/auth/tokens"] {
                bodies.push(w.api.call("GET", path, Some(token), None).await.1.to_string());
            }
        }

        // forged tokens
        let key = Api::<Secret>::namespaced(w.client.clone(), &w.ns)
            .get("chaoscenter-jwt")
            .await
            .unwrap()
            .data
            .unwrap()["signingKey"]
            .0
            .clone();
        let real = TokenKeys::new(&key, "chaoscenter", "chaoscenter-api").unwrap();
        // the admin's own session, uid and generation: only the signature decides below
        let mine = real.verify(&admin).unwrap();
        let claims = Claims {
            sub: w.admin.clone(),
            uid: mine.uid.clone(),
            iss: "chaoscenter".into(),
            aud: "chaoscenter-api".into(),
            exp: unix_now() + 600,
            iat: unix_now(),
            jti: random_id(),
            kind: TokenKind::Access,
            sid: mine.sid.clone(),
            gen: mine.gen,
            pwc: false,
        };
        assert_eq!(
            me(&w, &real.sign(&claims)).await.0,
            200,
            "control: a token signed with the real key works"
        );
        use base64::Engine;
        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let claims_json = serde_json::to_value(&claims).unwrap();
        let none = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims_json));
        let wrong_key = TokenKeys::new(&[9u8; 64], "chaoscenter", "chaoscenter-api").unwrap().sign(&claims);
        let wrong_aud = real.sign(&Claims { aud: "another-api".into(), ..claims.clone() });
        let wrong_iss = real.sign(&Claims { iss: "someone-else".into(), ..claims.clone() });
        let mut parts: Vec<String> = viewer_token.split('.').map(String::from).collect();
        let mut payload: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&parts[1]).unwrap(),
        )
        .unwrap();
        payload["sub"] = json!(w.admin);
        parts[1] = b64(&payload);
        let tampered = parts.join(".");
        for (what, token) in [
            ("alg none", none),
            ("wrong key", wrong_key),
            ("wrong audience", wrong_aud),
            ("wrong issuer", wrong_iss),
            ("tampered payload", tampered),
        ] {
            let (status, body) = me(&w, &token).await;
            assert_eq!(status, 401, "{what}: {body}");
            bodies.push(body.to_string());
        }

        // acting on someone else's membership
        let (status, body) = w
            .api
            .call(
                "POST",
                &format!("/auth/projects/{project}/leave"),
                Some(&viewer_token),
                Some(json!({"user": owner})),
            )
            .await;
        assert_eq!(status, 422, "a user id in the body is refused: {body}");
        let (status, _) = w
            .api
            .call("DELETE", &format!("/auth/projects/{project}/members/{owner}"), Some(&viewer_token), None)
            .await;
        assert_eq!(status, 403, "a Viewer cannot remove the Owner");
        let (status, _) = w
            .api
            .call(
                "PUT",
                &format!("/auth/projects/{project}/members/{viewer}"),
                Some(&viewer_token),
                Some(json!({"role": "Owner"})),
            )
            .await;
        assert_eq!(status, 403, "a Viewer cannot promote themselves");
        let projects: Api<Project> = Api::all(w.client.clone());
        let members = projects.get(&project).await.unwrap().spec.members;
        assert!(members.iter().any(|m| m.user == owner && format!("{:?}", m.role) == "Owner"), "{members:?}");
        assert!(
            members.iter().any(|m| m.user == viewer && format!("{:?}", m.role) == "Viewer"),
            "{members:?}"
        );
        // the last Owner cannot be removed or leave; a Viewer can leave
        let (status, body) = w
            .api
            .call(
                "DELETE",
                &format!("/auth/projects/{project}/members/{}", w.admin),
                Some(&owner_token),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) =
            w.api.call("POST", &format!("/auth/projects/{project}/leave"), Some(&owner_token), None).await;
        assert_eq!((status, body["error"].as_str()), (409, Some("a project must keep at least one Owner")));
        let (status, _) =
            w.api.call("POST", &format!("/auth/projects/{project}/leave"), Some(&viewer_token), None).await;
        assert_eq!(status, 204);
        wait_binding(&w.client, &project, &viewer, None).await;

        // bad input: a clear 4xx, nothing changes
        let users: Api<ChaosUser> = Api::all(w.client.clone());
        let count = || async {
            users
                .list(&ListParams::default().labels(&format!("{SCOPE_LABEL}={}", w.ns)))
                .await
                .unwrap()
                .items
                .len()
        };
        let before = count().await;
        let long = "a".repeat(300);
        let cases = [
            (
                json!({"username": long, "password": "long-enough-1"}),
                400,
                "username: must be 1 to 63 characters long, not 300",
            ),
            (json!({"username": "gina", "password": ""}), 400, "password: the password is empty"),
            (
                json!({"username": "gina", "password": "short"}),
                400,
                "password: the password must have at least 8 characters",
            ),
            (json!({"username": "Gina!", "password": "long-enough-1"}), 400, "username: may contain only"),
            (
                json!({"username": "gina", "password": "long-enough-1", "role": "superuser"}),
                422,
                "unknown variant `superuser`",
            ),
        ];
        for (body, want_status, want_text) in cases {
            let (status, answer) = w.api.call("POST", "/auth/users", Some(&admin), Some(body.clone())).await;
            let text = answer["error"].as_str().unwrap_or_default();
            assert!(status == want_status && text.contains(want_text), "{body} → {status} {answer}");
        }
        let (status, answer) = w
            .api
            .call(
                "POST",
                &format!("/auth/projects/{project}/members"),
                Some(&admin),
                Some(json!({"user": viewer, "role": "Boss"})),
            )
            .await;
        assert_eq!(status, 422, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains("unknown variant `Boss`"), "{answer}");
        let (status, answer) =
            w.api.call("POST", "/auth/login", None, Some(json!({"username": owner}))).await;
        assert!(status == 422 && answer["error"].as_str().unwrap().contains("password"), "{answer}");
        assert_eq!(count().await, before, "no user was created by bad input");
        assert!(users.get_opt("gina").await.unwrap().is_none());

        // nothing secret anywhere it should not be: CRs, logs, responses
        let passwords = [
            "erin-secret-pass",
            "frank-secret-pass",
            "initial-password-1",
            "admin-new-password-1",
            w.admin_password.as_str(),
        ];
        let secret_of_owner = Api::<Secret>::namespaced(w.client.clone(), &w.ns)
            .get(&format!("chaoscenter-user-{owner}"))
            .await
            .unwrap();
        let hash = String::from_utf8(secret_of_owner.data.unwrap()["passwordHash"].0.clone()).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "control: the hash is where it belongs: {hash}"
        );
        let mut places: Vec<(String, String)> = Vec::new();
        for kind in ["chaosusers", "projects"] {
            let out = chaoscenter_e2e::kubectl().args(["get", kind, "-o", "json"]).output().unwrap();
            places.push((format!("kubectl get {kind}"), String::from_utf8_lossy(&out.stdout).into()));
        }
        places.push(("apiserver log".into(), w.api.logs()));
        places.push(("operator log".into(), w.operator_logs()));
        places.extend(bodies.into_iter().map(|b| ("an API response".to_string(), b)));
        for (place, text) in &places {
            assert!(!text.contains("$argon2"), "a password hash in {place}");
            assert!(!text.contains(&hash[30..]), "a password hash in {place}");
            for password in passwords {
                assert!(!text.contains(password), "a password in {place}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn project_controller_owns_its_namespace_bindings_and_cleanup() {
    with_access("project-ctl", &[], |w| async move {
        let projects: Api<Project> = Api::all(w.client.clone());
        let users: Api<ChaosUser> = Api::all(w.client.clone());
        let scope = || Some([w.scope()].into_iter().collect());
        let (alice, bob) = (unique(&w, "alice"), unique(&w, "bob"));
        for name in [&alice, &bob] {
            let user = ChaosUser {
                metadata: ObjectMeta { name: Some(name.clone()), labels: scope(), ..Default::default() },
                spec: Default::default(),
                status: None,
            };
            users.create(&PostParams::default(), &user).await.unwrap();
        }
        let ready = |name: String| {
            let projects = projects.clone();
            async move {
                wait_for(WAIT, &format!("project {name}'s Ready condition"), || async {
                    let p = projects.get_opt(&name).await.ok()??;
                    let c = p.status?.conditions.into_iter().find(|c| c.type_ == "Ready")?;
                    Some(c)
                })
                .await
            }
        };
        let create = |name: String, members: Value| {
            let projects = projects.clone();
            let labels = json!({SCOPE_LABEL: w.ns});
            async move {
                let p: Project = serde_json::from_value(json!({
                    "apiVersion": "chaoscenter.io/v1alpha1", "kind": "Project",
                    "metadata": {"name": name, "labels": labels}, "spec": {"members": members}
                }))
                .unwrap();
                projects.create(&PostParams::default(), &p).await.unwrap();
            }
        };

        // a namespace of the same name that is not the project's: refused, with a condition and an Event
        let taken = unique(&w, "taken");
        let namespaces: Api<Namespace> = Api::all(w.client.clone());
        let squatter = Namespace {
            metadata: ObjectMeta { name: Some(project_namespace(&taken)), labels: Some([("chaoscenter.io/e2e".to_string(), "true".to_string())].into()), ..Default::default() },
            ..Default::default()
        };
        namespaces.create(&PostParams::default(), &squatter).await.unwrap();
        create(taken.clone(), json!([{"user": alice, "role": "Owner"}])).await;
        let cond = ready(taken.clone()).await;
        assert_eq!((cond.status, cond.reason.as_str()), (ConditionStatus::False, "NamespaceConflict"), "{cond:?}");
        assert!(cond.message.contains(&format!("namespace {} already exists", project_namespace(&taken))), "{cond:?}");
        wait_for(WAIT, "a NamespaceConflict Event", || async {
            events_for(&w.client, "default", &taken).await.into_iter().find(|(reason, _)| reason == "NamespaceConflict")
        })
        .await;
        let rb: Api<RoleBinding> = Api::namespaced(w.client.clone(), &project_namespace(&taken));
        assert!(rb.list(&ListParams::default()).await.unwrap().items.is_empty(), "nothing is bound in a namespace that is not the project's");
        let _ = namespaces.delete(&project_namespace(&taken), &Default::default()).await;

        // an invalid name is reported, not crashed on
        let bad = format!("{}.dotted", unique(&w, "bad"));
        create(bad.clone(), json!([])).await;
        let cond = ready(bad.clone()).await;
        assert_eq!((cond.status, cond.reason.as_str()), (ConditionStatus::False, "InvalidName"), "{cond:?}");
        assert!(cond.message.starts_with("metadata.name: "), "{cond:?}");

        // members: bound per role; an unknown user is reported and not bound
        let name = unique(&w, "team");
        create(name.clone(), json!([{"user": alice, "role": "Owner"}, {"user": bob, "role": "Viewer"}, {"user": "ghost-user", "role": "Editor"}])).await;
        wait_binding(&w.client, &name, &alice, Some("Owner")).await;
        wait_binding(&w.client, &name, &bob, Some("Viewer")).await;
        let cond = ready(name.clone()).await;
        assert_eq!(cond.status, ConditionStatus::True);
        assert!(cond.message.contains("not bound: ghost-user (no such ChaosUser)"), "{cond:?}");
        let ns = namespaces.get(&project_namespace(&name)).await.unwrap();
        assert_eq!(ns.metadata.labels.unwrap().get(PROJECT_LABEL), Some(&name));
        assert!(kubectl_as(&bob, &["get", "project", &name]).0, "members may read their Project");
        assert!(!kubectl_as(&bob, &["patch", "project", &name, "--type", "merge", "-p", r#"{"spec":{"displayName":"x"}}"#]).0);
        wait_for(WAIT, "alice's status to list the project as Owner", || async {
            let u = users.get(&alice).await.ok()?;
            u.status?.projects.iter().any(|p| p.project == name && format!("{:?}", p.role) == "Owner").then_some(())
        })
        .await;

        // role change and removal, through kubectl as the Owner (the Owner may edit membership)
        let patch = json!({"spec": {"members": [{"user": alice, "role": "Owner"}, {"user": bob, "role": "Editor"}]}}).to_string();
        let (ok, out) = kubectl_as(&alice, &["patch", "project", &name, "--type", "merge", "-p", &patch]);
        assert!(ok, "{out}");
        wait_binding(&w.client, &name, &bob, Some("Editor")).await;
        projects
            .patch(&name, &PatchParams::default(), &Patch::Merge(json!({"spec": {"members": [{"user": alice, "role": "Owner"}]}})))
            .await
            .unwrap();
        wait_binding(&w.client, &name, &bob, None).await;
        wait_for(WAIT, "bob's status to drop the project", || async {
            let u = users.get(&bob).await.ok()?;
            (!u.status?.projects.iter().any(|p| p.project == name)).then_some(())
        })
        .await;

        // a deleted binding comes back
        let bindings: Api<RoleBinding> = Api::namespaced(w.client.clone(), &project_namespace(&name));
        bindings.delete(&member_binding(&alice), &Default::default()).await.unwrap();
        wait_binding(&w.client, &name, &alice, Some("Owner")).await;

        // the apiserver may impersonate enabled users only: disabling or deleting one drops them
        wait_impersonable(&w.client, &bob).await;
        wait_impersonable(&w.client, &alice).await;
        users.patch(&alice, &PatchParams::default(), &Patch::Merge(json!({"spec": {"disabled": true}}))).await.unwrap();
        users.delete(&bob, &Default::default()).await.unwrap();
        let impersonation: Api<ClusterRole> = Api::all(w.client.clone());
        wait_for(WAIT, "alice and bob to leave the impersonation role", || async {
            let role = impersonation.get("chaoscenter:apiserver-impersonate").await.ok()?;
            let names: Vec<String> =
                role.rules.unwrap_or_default().into_iter().flat_map(|r| r.resource_names.unwrap_or_default()).collect();
            (!names.contains(&format!("chaoscenter:{alice}")) && !names.contains(&format!("chaoscenter:{bob}"))).then_some(())
        })
        .await;
        wait_binding(&w.client, &name, &alice, None).await;

        // deleting the project removes its namespace and every access object
        projects.delete(&name, &Default::default()).await.unwrap();
        let roles: Api<ClusterRole> = Api::all(w.client.clone());
        let crbs: Api<ClusterRoleBinding> = Api::all(w.client.clone());
        wait_for(Duration::from_secs(120), "the project's namespace and ClusterRoles to be gone", || async {
            let ns_gone = namespaces.get_opt(&project_namespace(&name)).await.ok()?.is_none();
            let roles_gone = roles.get_opt(&project_owners(&name)).await.ok()?.is_none()
                && roles.get_opt(&project_members(&name)).await.ok()?.is_none()
                && crbs.get_opt(&project_owners(&name)).await.ok()?.is_none();
            (ns_gone && roles_gone).then_some(())
        })
        .await;
    })
    .await;
}
