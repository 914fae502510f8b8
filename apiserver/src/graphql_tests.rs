//! GraphQL's authorization matrix, driven with `oneshot` over the fakes: every query and mutation as an
//! admin, a project's Owner, Editor and Viewer, a user in no project, a user who must still change the
//! password, and no one; each either answers (and, for a mutation, writes and records it) or is refused
//! with the expected code and changes nothing.

use crate::app_tests::{code, Answer, Harness};
use crate::fakes::RunDoc;
use axum::http::StatusCode;
use serde_json::{json, Value};

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Admin,
    Owner,
    Editor,
    Viewer,
    Outsider,
    MustChangePassword,
    Anonymous,
}

const EVERYONE: [Who; 7] = [
    Who::Admin,
    Who::Owner,
    Who::Editor,
    Who::Viewer,
    Who::Outsider,
    Who::MustChangePassword,
    Who::Anonymous,
];
const MEMBERS: &[Who] = &[Who::Admin, Who::Owner, Who::Editor, Who::Viewer];
const WRITERS: &[Who] = &[Who::Admin, Who::Owner, Who::Editor];
const ADMINS: &[Who] = &[Who::Admin];
const SIGNED_IN: &[Who] = &[Who::Admin, Who::Owner, Who::Editor, Who::Viewer, Who::Outsider];

impl Who {
    fn user(self) -> Option<&'static str> {
        match self {
            Who::Admin => Some("root"),
            Who::Owner => Some("olivia"),
            Who::Editor => Some("eddie"),
            Who::Viewer => Some("vera"),
            Who::Outsider => Some("otto"),
            Who::MustChangePassword => Some("newbie"),
            Who::Anonymous => None,
        }
    }
}

/// The uid of the project deleted earlier under the name `alpha`.
const OLD_UID: &str = "uid-of-the-old-alpha";

/// A harness whose history holds a run and a workflow of `alpha` (and of the old `alpha`), an audit
/// entry of it, and whose cluster holds that workflow and run.
async fn seeded() -> Harness {
    let h = Harness::new().await;
    let uid = h.cluster.stored_project("alpha").unwrap().metadata.uid.unwrap();
    let run = |project_uid, name| RunDoc {
        project: "alpha",
        project_uid,
        name,
        workflow: "kill-web",
        phase: "Succeeded",
        score: Some(90.0),
        created_ms: jiff::Timestamp::now().as_millisecond() - 60_000,
        preview: false,
        deleted: false,
    };
    let current = h.history.add_run(run(&uid, "kill-web-1"));
    let old = h.history.add_run(run(OLD_UID, "old-run"));
    h.history.add_run_log(&current, &["… 3 earlier lines dropped", "t INFO  run started"], 3);
    h.history.add_run_log(&old, &["t OUTPUT [up] old output"], 0);
    h.history.add_workflow(&uid, "kill-web");
    h.history.add_project("alpha", &uid, None);
    h.history.add_project("alpha", OLD_UID, Some(1_000));
    let entry =
        crate::audit::Entry::now("olivia", crate::audit::Source::Api, "create", "ChaosWorkflow", "kill-web")
            .in_project("alpha", &uid, Some("alpha-chaos"));
    crate::history_store::HistoryStore::record_audit(h.history.as_ref(), entry).await;
    h.cluster.add_object(
        "chaosworkflows",
        "alpha-chaos",
        json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflow",
               "metadata": {"name": "kill-web"}, "spec": spec()}),
    );
    h.cluster.add_object(
        "chaoshubs",
        "alpha-chaos",
        json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosHub", "metadata": {"name": "team"},
               "spec": {"source": "Git", "git": {"url": "https://git.example/team.git", "branch": "main",
                        "secretRef": {"name": "team-git"}}, "syncInterval": "1h"},
               "status": {"templates": 1, "revision": "abc123", "conditions": [
                   {"type": "Synced", "status": "False", "reason": "FetchFailed", "message": "unreachable"},
                   {"type": "Ready", "status": "True", "reason": "Serving", "message": ""}]}}),
    );
    h.cluster.add_object(
        "chaostemplates",
        "alpha-chaos",
        json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosTemplate",
               "metadata": {"name": "team-pod-delete", "labels": {"chaoscenter.io/hub": "team"}},
               "spec": {"hub": "team", "name": "pod-delete", "displayName": "Pod delete",
                        "description": "Deletes pods", "category": "kubernetes",
                        "source": {"layout": "LitmusFault", "path": "faults/kubernetes/pod-delete"},
                        "supported": true, "workflow": spec()}}),
    );
    h.cluster.add_object(
        "chaosworkflowruns",
        "alpha-chaos",
        json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
               "metadata": {"name": "kill-web-1"}, "spec": {"workflowRef": {"name": "kill-web"}}}),
    );
    h
}

fn spec() -> Value {
    json!({"steps": [{"name": "kill", "fault": {"type": "pod-delete",
        "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}}}]})
}

/// One operation: its document, variables, who may, and what an allowed answer must show.
struct Op {
    name: &'static str,
    query: &'static str,
    variables: Value,
    allowed: &'static [Who],
    /// Checks the `data` of an allowed answer.
    check: fn(Who, &Value),
    /// Whether it writes (and records an audit entry when allowed).
    writes: bool,
    /// The error code an allowed caller gets instead of data (an input refused only once authorized).
    allowed_code: Option<&'static str>,
}

fn ops() -> Vec<Op> {
    let p = json!({"p": "alpha"});
    let wf = json!({"p": "alpha", "s": spec()});
    vec![
        Op {
            name: "projects",
            query: "{ projects { name } }",
            variables: json!({}),
            allowed: SIGNED_IN,
            check: |who, data| {
                let expected = if who == Who::Outsider { json!([]) } else { json!([{"name": "alpha"}]) };
                assert_eq!(data["projects"], expected, "{who:?}");
            },
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "project",
            query: "query($p: String!) { project(name: $p) { name members { user } } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| assert_eq!(data["project"]["members"].as_array().unwrap().len(), 4),
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "validateWorkflow",
            query: "query($p: String!, $s: JSON!) { validateWorkflow(project: $p, name: \"x\", spec: $s) { field } }",
            variables: wf.clone(),
            allowed: MEMBERS,
            check: |_, data| assert_eq!(data["validateWorkflow"], json!([])),
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "workflows",
            query: "query($p: String!) { workflows(project: $p) { name } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| assert_eq!(data["workflows"], json!([{"name": "kill-web"}])),
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "runs",
            query: "query($p: String!) { runs(project: $p) { edges { node { name } } } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| assert_eq!(data["runs"]["edges"], json!([{"node": {"name": "kill-web-1"}}])),
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "runs of the deleted project",
            query: "query($p: String!, $u: String!) { runs(project: $p, projectUid: $u) { edges { node { name } } } }",
            variables: json!({"p": "alpha", "u": OLD_UID}),
            allowed: ADMINS,
            check: |_, data| assert_eq!(data["runs"]["edges"], json!([{"node": {"name": "old-run"}}])),
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "statistics",
            query: "query($p: String!) { statistics(project: $p) { runsByPhase { phase runs } } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| {
                assert_eq!(data["statistics"]["runsByPhase"], json!([{"phase": "Succeeded", "runs": 1}]))
            },
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "run",
            query: "query($p: String!) { run(project: $p, name: \"kill-web-1\") { name events { reason } } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| assert_eq!(data["run"]["name"], "kill-web-1"),
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "runLogs",
            query: "query($p: String!) { runLogs(project: $p, name: \"kill-web-1\") { lines truncated dropped } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| {
                assert_eq!(
                    data["runLogs"],
                    json!({"lines": ["… 3 earlier lines dropped", "t INFO  run started"], "truncated": true, "dropped": 3})
                )
            },
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "runLogs of the deleted project",
            query: "query($p: String!, $u: String!) { runLogs(project: $p, name: \"old-run\", projectUid: $u) { lines } }",
            variables: json!({"p": "alpha", "u": OLD_UID}),
            allowed: ADMINS,
            check: |_, data| assert_eq!(data["runLogs"]["lines"], json!(["t OUTPUT [up] old output"])),
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "auditLog of the project",
            query: "query($p: String!) { auditLog(project: $p) { actor action name } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| {
                assert_eq!(data["auditLog"], json!([{"actor": "olivia", "action": "create", "name": "kill-web"}]))
            },
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "auditLog of everything",
            query: "{ auditLog { action } }",
            variables: json!({}),
            allowed: ADMINS,
            check: |_, data| assert_eq!(data["auditLog"].as_array().unwrap().len(), 1),
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "deletedProjects",
            query: "{ deletedProjects { name uid } }",
            variables: json!({}),
            allowed: ADMINS,
            check: |_, data| assert_eq!(data["deletedProjects"], json!([{"name": "alpha", "uid": OLD_UID}])),
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "createWorkflow",
            query: "mutation($p: String!, $s: JSON!) { createWorkflow(project: $p, name: \"new-one\", spec: $s) { name } }",
            variables: wf.clone(),
            allowed: WRITERS,
            check: |_, data| assert_eq!(data["createWorkflow"]["name"], "new-one"),
            writes: true,
            allowed_code: None,
        },
        Op {
            name: "updateWorkflow",
            query: "mutation($p: String!, $s: JSON!) { updateWorkflow(project: $p, name: \"kill-web\", spec: $s) { name } }",
            variables: wf.clone(),
            allowed: WRITERS,
            check: |_, data| assert_eq!(data["updateWorkflow"]["name"], "kill-web"),
            writes: true,
            allowed_code: None,
        },
        Op {
            name: "setSuspended",
            query: "mutation($p: String!) { setSuspended(project: $p, workflow: \"kill-web\", suspended: true) { name } }",
            variables: p.clone(),
            allowed: WRITERS,
            check: |_, data| assert_eq!(data["setSuspended"]["name"], "kill-web"),
            writes: true,
            allowed_code: None,
        },
        Op {
            name: "deleteWorkflow",
            query: "mutation($p: String!) { deleteWorkflow(project: $p, name: \"kill-web\") }",
            variables: p.clone(),
            allowed: WRITERS,
            check: |_, data| assert_eq!(data["deleteWorkflow"], true),
            writes: true,
            allowed_code: None,
        },
        Op {
            name: "runWorkflow",
            query: "mutation($p: String!) { runWorkflow(project: $p, workflow: \"kill-web\") { workflow } }",
            variables: p.clone(),
            allowed: WRITERS,
            check: |_, data| assert_eq!(data["runWorkflow"]["workflow"], "kill-web"),
            writes: true,
            allowed_code: None,
        },
        Op {
            name: "dryRunWorkflow",
            query: "mutation($p: String!) { dryRunWorkflow(project: $p, workflow: \"kill-web\") { finished } }",
            variables: p.clone(),
            allowed: WRITERS,
            check: |_, data| assert_eq!(data["dryRunWorkflow"]["finished"], true),
            writes: true,
            allowed_code: None,
        },
        Op {
            name: "hubs",
            query: "query($p: String!) { hubs(project: $p) { name secretName synced ready templates } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| {
                assert_eq!(
                    data["hubs"],
                    json!([{"name": "team", "secretName": "team-git", "synced": false, "ready": true, "templates": 1}])
                )
            },
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "hub",
            query: "query($p: String!) { hub(project: $p, name: \"team\") { url conditions { type reason } } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| {
                assert_eq!(data["hub"]["url"], "https://git.example/team.git");
                assert_eq!(data["hub"]["conditions"][0], json!({"type": "Synced", "reason": "FetchFailed"}));
            },
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "templates",
            query: "query($p: String!) { templates(project: $p, hub: \"team\", search: \"delete\") { total items { id supported } categories { category templates } } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| {
                assert_eq!(
                    data["templates"],
                    json!({"total": 1, "items": [{"id": "team-pod-delete", "supported": true}],
                           "categories": [{"category": "kubernetes", "templates": 1}]})
                )
            },
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "template",
            query: "query($p: String!) { template(project: $p, id: \"team-pod-delete\") { name workflow } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, data| {
                assert_eq!(data["template"]["workflow"]["steps"][0]["fault"]["type"], "pod-delete")
            },
            writes: false,
            allowed_code: None,
        },
        Op {
            name: "importLitmus",
            query: "mutation($p: String!) { importLitmus(project: $p, yaml: \"\") { mapped } }",
            variables: p.clone(),
            allowed: MEMBERS,
            check: |_, _| {},
            writes: false,
            allowed_code: Some("BAD_INPUT"),
        },
        Op {
            name: "createHub",
            query: "mutation($p: String!) { createHub(project: $p, input: {name: \"more\", url: \"https://git.example/more.git\", secretName: \"more-git\"}) { name branch secretName } }",
            variables: p.clone(),
            allowed: WRITERS,
            check: |_, data| {
                assert_eq!(data["createHub"], json!({"name": "more", "branch": "main", "secretName": "more-git"}))
            },
            writes: true,
            allowed_code: None,
        },
        Op {
            name: "updateHub",
            query: "mutation($p: String!) { updateHub(project: $p, input: {name: \"team\", url: \"https://git.example/team.git\", branch: \"dev\"}) { branch secretName } }",
            variables: p.clone(),
            allowed: WRITERS,
            check: |_, data| assert_eq!(data["updateHub"], json!({"branch": "dev", "secretName": null})),
            writes: true,
            allowed_code: None,
        },
        Op {
            name: "syncHub",
            query: "mutation($p: String!) { syncHub(project: $p, name: \"team\") { syncRequestedAt } }",
            variables: p.clone(),
            allowed: WRITERS,
            check: |_, data| assert!(data["syncHub"]["syncRequestedAt"].is_string(), "{data}"),
            writes: true,
            allowed_code: None,
        },
        Op {
            name: "deleteHub",
            query: "mutation($p: String!) { deleteHub(project: $p, name: \"team\") }",
            variables: p.clone(),
            allowed: WRITERS,
            check: |_, data| assert_eq!(data["deleteHub"], true),
            writes: true,
            allowed_code: None,
        },
        Op {
            name: "abortRun",
            query: "mutation($p: String!) { abortRun(project: $p, name: \"kill-web-1\") { name } }",
            variables: p,
            allowed: WRITERS,
            check: |_, data| assert_eq!(data["abortRun"]["name"], "kill-web-1"),
            writes: true,
            allowed_code: None,
        },
    ]
}

async fn ask(h: &Harness, who: Who, op: &Op) -> Answer {
    let body = json!({"query": op.query, "variables": op.variables});
    match who.user() {
        Some(user) => {
            let token = h.token(user).await;
            h.post("/api/graphql", Some(&token), body).await
        }
        None => h.post("/api/graphql", None, body).await,
    }
}

#[tokio::test]
async fn every_query_and_mutation_answers_exactly_whom_it_should() {
    let mut cells = 0;
    for op in ops() {
        for who in EVERYONE {
            let h = seeded().await;
            let (objects, audit) = (h.cluster.all_objects(), h.history.audit_log().len());
            let answer = ask(&h, who, &op).await;
            let cell = format!("{} as {who:?}: {}", op.name, answer.body);
            match who {
                Who::Anonymous => assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{cell}"),
                Who::MustChangePassword => {
                    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{cell}");
                    assert!(answer.error().starts_with("change your password first"), "{cell}");
                }
                _ if op.allowed.contains(&who) && op.allowed_code.is_some() => {
                    assert_eq!(code(&answer), op.allowed_code, "{cell}");
                }
                _ if op.allowed.contains(&who) => {
                    assert_eq!(answer.status, StatusCode::OK, "{cell}");
                    assert!(answer.body.get("errors").is_none(), "{cell}");
                    (op.check)(who, &answer.body["data"]);
                    if op.writes {
                        assert_ne!(h.cluster.all_objects(), objects, "{cell}: nothing was written");
                        let log = h.history.audit_log();
                        assert_eq!(log.len(), audit + 1, "{cell}: recorded");
                        assert_eq!(Some(log[audit].0.as_str()), who.user(), "{cell}");
                    }
                }
                _ => {
                    assert_eq!(code(&answer), Some("FORBIDDEN"), "{cell}");
                    assert!(answer.body["data"].is_null(), "{cell}");
                }
            }
            if !(op.allowed.contains(&who) && op.writes) {
                assert_eq!(h.cluster.all_objects(), objects, "{cell}: changed the cluster");
                assert_eq!(h.history.audit_log().len(), audit, "{cell}: recorded a change");
            }
            cells += 1;
        }
    }
    assert_eq!(cells, 29 * 7);
}

#[tokio::test]
async fn history_errors_are_graphql_codes_and_a_bad_cursor_names_its_argument() {
    let h = seeded().await;
    let token = h.token("vera").await;
    let ask = |query: &str| {
        h.post("/api/graphql", Some(&token), json!({"query": query, "variables": {"p": "alpha"}}))
    };
    let cursor = ask("query($p: String!) { runs(project: $p, after: \"nope\") { edges { cursor } } }").await;
    assert_eq!(code(&cursor), Some("BAD_INPUT"), "{}", cursor.body);
    assert!(cursor.body["errors"][0]["message"].as_str().unwrap().starts_with("after:"), "{}", cursor.body);
    let first = ask("query($p: String!) { runs(project: $p, first: 0) { edges { cursor } } }").await;
    assert_eq!(code(&first), Some("BAD_INPUT"), "{}", first.body);
    let gone = ask("query($p: String!) { run(project: $p, name: \"never\") { name } }").await;
    assert_eq!(code(&gone), Some("NOT_FOUND"), "{}", gone.body);
    let root = h.token("root").await;
    let unknown = h
        .post(
            "/api/graphql",
            Some(&root),
            json!({"query": "query($p: String!) { runs(project: $p, projectUid: \"no-such-uid\") { edges { cursor } } }",
                   "variables": {"p": "alpha"}}),
        )
        .await;
    assert_eq!(code(&unknown), Some("NOT_FOUND"), "{}", unknown.body);
}

#[tokio::test]
async fn an_update_written_over_a_concurrent_change_is_read_again_not_refused() {
    let h = seeded().await;
    let token = h.token("eddie").await;
    let mut changed = spec();
    changed["steps"][0]["fault"]["duration"] = json!("7s");
    // the operator writes the workflow's status between each read and write, twice
    h.cluster.interfere("chaosworkflows", "alpha-chaos", "kill-web", 2);
    let query = "mutation($p: String!, $s: JSON!) { updateWorkflow(project: $p, name: \"kill-web\", spec: $s) { name } }";
    let answer = h
        .post(
            "/api/graphql",
            Some(&token),
            json!({"query": query, "variables": {"p": "alpha", "s": changed}}),
        )
        .await;
    assert!(answer.body["errors"].is_null(), "{}", answer.body);
    let stored = h.cluster.stored("chaosworkflows", "alpha-chaos");
    assert_eq!(stored[0]["spec"]["steps"][0]["fault"]["duration"], "7s");
}

#[tokio::test]
async fn a_runs_log_is_the_fuller_copy_of_its_own_and_empty_before_its_first_line() {
    let h = seeded().await;
    let uid = h.cluster.stored_project("alpha").unwrap().metadata.uid.unwrap();
    let run = |name| RunDoc {
        project: "alpha",
        project_uid: &uid,
        name,
        workflow: "kill-web",
        phase: "Failed",
        score: None,
        created_ms: jiff::Timestamp::now().as_millisecond(),
        preview: false,
        deleted: true,
    };
    let twice = h.history.add_run(run("twice"));
    // a second object made for the same run as it went away holds only its last line
    h.history.add_run_log(&twice, &["t INFO  a", "t OUTPUT [up] b", "t WARN  c"], 0);
    h.history.add_run_log(&twice, &["t WARN  c"], 0);
    h.history.add_run(run("silent"));
    let token = h.token("vera").await;
    let ask = |name: &str| {
        h.post(
            "/api/graphql",
            Some(&token),
            json!({"query": "query($p: String!, $n: String!) { runLogs(project: $p, name: $n) { lines truncated dropped } }",
                   "variables": {"p": "alpha", "n": name}}),
        )
    };
    let full = ask("twice").await;
    assert_eq!(
        full.body["data"]["runLogs"],
        json!({"lines": ["t INFO  a", "t OUTPUT [up] b", "t WARN  c"], "truncated": false, "dropped": 0}),
        "{}",
        full.body
    );
    let empty = ask("silent").await;
    assert_eq!(
        empty.body["data"]["runLogs"],
        json!({"lines": [], "truncated": false, "dropped": 0}),
        "{}",
        empty.body
    );
    let missing = ask("never").await;
    assert_eq!(code(&missing), Some("NOT_FOUND"), "{}", missing.body);
}
