//! The apiserver's MongoDB mirror end to end: runs the operator really executes end up in history exactly
//! once with their final status, through creates, updates, deletes, an apiserver that was down while runs
//! happened (a re-list), versions arriving out of order, and MongoDB itself away for 30 s (the lag metric
//! saying so meanwhile).

use chaoscenter_apiserver::mirror::{collection_name, stored_int as int, stored_number};
use chaoscenter_crds::{ChaosWorkflow, ChaosWorkflowRun};
use chaoscenter_e2e::access::with_access;
use chaoscenter_e2e::{
    create_run, create_workflow, repo_root, sample, scrape, setup_project, wait_for, wait_run_finished,
    web_app,
};
use futures::TryStreamExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use mongodb::bson::{doc, Document};
use serde_json::json;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(90);

/// A workflow deleting one pod of the test's web app for 1 s.
fn kill_one(ns: &str) -> serde_json::Value {
    json!({"steps": [{"name": "kill", "fault": {"type": "pod-delete", "duration": "1s",
        "target": {"namespace": ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}}}]})
}

/// Waits until the mirrored document of `uid` satisfies `check`; returns it.
async fn mirrored(
    coll: &mongodb::Collection<Document>,
    uid: &str,
    what: &str,
    check: impl Fn(&Document) -> bool,
) -> Document {
    wait_for(WAIT, what, || async {
        let doc = coll.find_one(doc! { "_id": uid }).await.ok()??;
        check(&doc).then_some(doc)
    })
    .await
}

/// A boolean field, however the server stored it (nx-27017 returns booleans as 0 and 1).
fn flag(d: &Document, key: &str) -> Option<bool> {
    int(d, key).map(|n| n != 0)
}

fn rv(obj: &impl kube::Resource) -> i64 {
    obj.meta().resource_version.as_deref().unwrap().parse().unwrap()
}

#[tokio::test]
async fn runs_reach_history_once_with_their_final_status_through_changes_and_restarts() {
    with_access("mirror", &[], |mut w| async move {
        let (client, ns) = (w.client.clone(), w.ns.clone());
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "web", 2).await;
        create_workflow(&client, &ns, "wf", kill_one(&ns)).await;
        let db = w.api.database().await;
        let runs_coll = db.collection::<Document>(&collection_name::<ChaosWorkflowRun>());
        let wf_coll = db.collection::<Document>(&collection_name::<ChaosWorkflow>());
        let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &ns);
        let workflows: Api<ChaosWorkflow> = Api::namespaced(client.clone(), &ns);

        // create: a real run, mirrored with its final status and the fields queries use
        let name = create_run(&client, &ns, "wf", false).await;
        let finished = wait_run_finished(&client, &ns, &name, WAIT).await;
        let uid = finished.metadata.uid.clone().unwrap();
        let doc = mirrored(&runs_coll, &uid, "the finished run in the mirror", |d| {
            int(d, "resourceVersion") == Some(rv(&finished))
        })
        .await;
        assert_eq!(doc.get_str("phase").unwrap(), "Succeeded", "{doc}");
        assert_eq!(doc.get_str("workflow").unwrap(), "wf");
        assert_eq!(doc.get_str("project").unwrap(), format!("p-{ns}"));
        let score = stored_number(&doc, "score");
        assert_eq!(score, Some(100.0), "{doc}");
        assert_eq!(flag(&doc, "deleted"), Some(false));
        let object: serde_json::Value = serde_json::from_str(doc.get_str("object").unwrap()).unwrap();
        assert_eq!(object["metadata"]["uid"], uid.as_str());
        assert!(object["metadata"].get("managedFields").is_none(), "{object}");

        // update: a label change reaches the mirror at the new version
        let wf = workflows
            .patch(
                "wf",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"team": "shop"}}})),
            )
            .await
            .unwrap();
        let wf_uid = wf.metadata.uid.clone().unwrap();
        mirrored(&wf_coll, &wf_uid, "the workflow's new label", |d| {
            let object: serde_json::Value = serde_json::from_str(d.get_str("object").unwrap()).unwrap();
            int(d, "resourceVersion") == Some(rv(&wf)) && object["metadata"]["labels"]["team"] == "shop"
        })
        .await;

        // out of order: an older version arriving late does not overwrite the newer one
        let stale = json!({"metadata": {"uid": uid, "resourceVersion": "1", "name": name}});
        let written =
            chaoscenter_apiserver::mirror::write_version(&runs_coll, &uid, 1, &stale).await.unwrap();
        assert!(!written, "an older version must not be written");
        let doc = runs_coll.find_one(doc! { "_id": &uid }).await.unwrap().unwrap();
        assert_eq!(int(&doc, "resourceVersion"), Some(rv(&finished)));
        assert_eq!(doc.get_str("phase").unwrap(), "Succeeded");

        // the apiserver is down while a run happens and another is deleted: the re-list catches up
        w.api.stop();
        let during = create_run(&client, &ns, "wf", false).await;
        let during_run = wait_run_finished(&client, &ns, &during, WAIT).await;
        runs.delete(&name, &DeleteParams::default()).await.unwrap();
        wait_for(WAIT, "the first run to be gone from the cluster", || async {
            runs.get_opt(&name).await.ok()?.is_none().then_some(())
        })
        .await;
        w.api.start_again(&[]).await;
        mirrored(
            &runs_coll,
            during_run.metadata.uid.as_deref().unwrap(),
            "the run made while the apiserver was down",
            |d| d.get_str("phase").ok() == Some("Succeeded"),
        )
        .await;
        mirrored(&runs_coll, &uid, "the deleted run marked deleted, kept in history", |d| {
            flag(d, "deleted") == Some(true)
        })
        .await;

        // exactly once: one document per run, by name
        let all: Vec<Document> = runs_coll.find(doc! {}).await.unwrap().try_collect().await.unwrap();
        for run_name in [&name, &during] {
            assert_eq!(
                all.iter().filter(|d| d.get_str("name").ok() == Some(run_name.as_str())).count(),
                1,
                "{run_name}"
            );
        }
    })
    .await;
}

/// Starts a private nx-27017 (so stopping it disturbs no other test); its URI.
fn private_mongo(name: &str, action: &str) -> String {
    let out =
        std::process::Command::new(repo_root().join("e2e/mongo.sh")).args([action, name]).output().unwrap();
    assert!(out.status.success(), "mongo.sh {action} {name}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Stops and removes the private nx-27017 however the test ends.
struct PrivateMongo(String);

impl Drop for PrivateMongo {
    fn drop(&mut self) {
        let _ = std::process::Command::new(repo_root().join("e2e/mongo.sh")).args(["down", &self.0]).output();
    }
}

#[tokio::test]
async fn runs_during_a_30_second_mongodb_outage_are_all_written_when_it_returns() {
    let mongo = format!("mirror-outage-{}", std::process::id());
    let uri = private_mongo(&mongo, "up");
    let _cleanup = PrivateMongo(mongo.clone());
    let env = [("MONGODB_URI", uri.as_str()), ("METRICS_ADDR", "127.0.0.1:0")];
    let name = mongo.clone();
    with_access("mirror-outage", &env, |w| async move {
        let mongo = name;
        let (client, ns) = (w.client.clone(), w.ns.clone());
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "web", 2).await;
        create_workflow(&client, &ns, "wf", kill_one(&ns)).await;
        let db = w.api.database().await;
        let runs_coll = db.collection::<Document>(&collection_name::<ChaosWorkflowRun>());
        let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &ns);

        private_mongo(&mongo, "stop");
        let down_since = Instant::now();
        let mut finished = Vec::new();
        for dry_run in [false, true, false] {
            let name = create_run(&client, &ns, "wf", dry_run).await;
            finished.push(wait_run_finished(&client, &ns, &name, WAIT).await);
        }
        // one of them is pruned from the cluster before MongoDB is back
        let pruned = finished[0].metadata.name.clone().unwrap();
        runs.delete(&pruned, &DeleteParams::default()).await.unwrap();
        wait_for(WAIT, "the pruned run to be gone", || async {
            runs.get_opt(&pruned).await.ok()?.is_none().then_some(())
        })
        .await;
        // the lag metric says how long the mirror has been behind, and what waits
        let metrics = w.api.log_value("Prometheus metrics", "metrics").await;
        let lag = r#"chaoscenter_apiserver_mirror_lag_seconds{kind="ChaosWorkflowRun"}"#;
        let pending = r#"chaoscenter_apiserver_mirror_pending{kind="ChaosWorkflowRun"}"#;
        wait_for(WAIT, "the mirror's lag over 5 s while MongoDB is down", || async {
            let text = scrape(&metrics).await;
            (sample(&text, lag)? >= 5.0 && sample(&text, pending)? >= 1.0).then_some(())
        })
        .await;
        if let Some(rest) = Duration::from_secs(30).checked_sub(down_since.elapsed()) {
            tokio::time::sleep(rest).await;
        }
        private_mongo(&mongo, "start");

        for (i, run) in finished.iter().enumerate() {
            let uid = run.metadata.uid.as_deref().unwrap();
            let phase = serde_json::to_value(run.status.as_ref().unwrap().phase.unwrap()).unwrap();
            let doc = mirrored(&runs_coll, uid, "a run from the outage in history", |d| {
                d.get_str("phase").ok() == phase.as_str()
            })
            .await;
            assert_eq!(
                flag(&doc, "deleted").unwrap(),
                i == 0,
                "only the pruned run is marked deleted: {doc}"
            );
        }
        assert_eq!(
            runs_coll.count_documents(doc! { "namespace": &ns }).await.unwrap(),
            3,
            "each run exactly once"
        );
        assert!(
            w.api.logs().contains("MongoDB write failed; keeping the changes and retrying"),
            "the outage was noticed"
        );
        wait_for(WAIT, "the mirror caught up: no lag, nothing waiting", || async {
            let text = scrape(&metrics).await;
            (sample(&text, lag)? == 0.0 && sample(&text, pending)? == 0.0).then_some(())
        })
        .await;
    })
    .await;
}
