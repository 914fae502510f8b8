//! Seeded run history: runs written straight into the mirror's collection, shaped as the mirror writes them.

use kube::api::Api;
use kube::Client;
use mongodb::bson::{doc, Document};

/// When the seeded history starts: seeded run `i` was created `i` minutes later.
pub const HISTORY_T0: i64 = 1_700_000_000_000;

/// The uid of seeded run `i`.
pub fn run_uid(i: usize) -> String {
    format!("{i:08}-bench")
}

/// The name of seeded run `i` (of workflow `wf{i % 10}`).
pub fn run_name(i: usize) -> String {
    format!("wf{}-{i}", i % 10)
}

/// When seeded run `i` was created, in ms since the epoch.
pub fn created_ms(i: usize) -> i64 {
    HISTORY_T0 + i as i64 * 60_000
}

/// The history cursor that pages on from seeded run `i` (to the older ones).
pub fn cursor_after(i: usize) -> String {
    chaoscenter_apiserver::graphql::encode_cursor(created_ms(i), &run_uid(i))
}

/// Seeds runs `from..to` of `project` (one a minute from [`HISTORY_T0`], ten workflows, mixed phases, all
/// left the cluster) under the project's name and uid, as history belongs to the uid. The project's uid.
pub async fn seed_runs(
    client: &Client,
    db: &mongodb::Database,
    project: &str,
    from: usize,
    to: usize,
) -> String {
    let project_uid = Api::<chaoscenter_crds::Project>::all(client.clone())
        .get(project)
        .await
        .expect("the project")
        .metadata
        .uid
        .expect("a project has a uid");
    let namespace = chaoscenter_crds::access::project_namespace(project);
    let coll = db.collection::<Document>("mirror_chaosworkflowruns");
    let phases = ["Succeeded", "Failed", "Succeeded", "Aborted", "Succeeded", "Error"];
    let mut next = from;
    while next < to {
        let batch: Vec<Document> = (next..to.min(next + 1000))
            .map(|i| {
                let (uid, created) = (run_uid(i), created_ms(i));
                doc! {
                    "_id": &uid, "uid": &uid, "kind": "ChaosWorkflowRun", "name": run_name(i),
                    "namespace": &namespace, "resourceVersion": i as i64, "createdMs": created,
                    "sortKey": chaoscenter_apiserver::mirror::sort_key(created, &uid), "deleted": true,
                    "project": project, "projectUid": &project_uid, "workflow": format!("wf{}", i % 10),
                    "trigger": "Schedule", "phase": phases[i % phases.len()], "score": (i % 101) as f64,
                    "object": "{}",
                }
            })
            .collect();
        next += batch.len();
        coll.insert_many(batch).await.expect("seeding the history");
    }
    project_uid
}
