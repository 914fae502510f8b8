//! What the operator knows of the cluster without asking: caches (reflector stores) of namespaces, nodes,
//! projects, pods, workflows, runs and the halt switch. Admission and target choice read them, so a run
//! starts without a round trip per check; a cache that is not filled yet makes every check wait, never
//! pass.

use chaoscenter_crds::common::{CHAOS_PROJECTS_ANNOTATION, HALT_CONFIGMAP};
use chaoscenter_crds::{ChaosWorkflow, ChaosWorkflowRun, Project};
use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod, PodStatus};
use kube::api::Api;
use kube::runtime::reflector::{self, store::Writer, ObjectRef, Store};
use kube::runtime::{predicates, watcher, WatchStreamExt};
use kube::Client;
use std::future::Future;
use std::pin::Pin;

/// The caches.
#[derive(Clone)]
pub struct World {
    pub namespaces: Store<Namespace>,
    pub nodes: Store<Node>,
    pub projects: Store<Project>,
    /// Every pod, with only what target choice needs (labels, phase, deletion).
    pub pods: Store<Pod>,
    pub workflows: Store<ChaosWorkflow>,
    pub runs: Store<ChaosWorkflowRun>,
    /// The halt ConfigMap, when it exists.
    pub halt: Store<ConfigMap>,
    /// The control-plane namespace (where the halt ConfigMap lives).
    pub control_namespace: String,
}

/// A background task that keeps caches filled; it runs until dropped.
pub type Filler = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A stream of "something that may change admission happened", for re-examining every run.
pub type Changes = Pin<Box<dyn Stream<Item = ()> + Send>>;

impl World {
    /// Whether every cache holds its first full list.
    pub fn ready(&self) -> bool {
        crate::controllers::is_filled(&self.namespaces)
            && crate::controllers::is_filled(&self.nodes)
            && crate::controllers::is_filled(&self.projects)
            && crate::controllers::is_filled(&self.pods)
            && crate::controllers::is_filled(&self.runs)
            && crate::controllers::is_filled(&self.halt)
    }

    /// Whether the halt switch is on.
    pub fn halted(&self) -> bool {
        self.halt.get(&ObjectRef::new(HALT_CONFIGMAP).within(&self.control_namespace)).is_some()
    }

    /// Caches of everything but runs and workflows (the controllers own those), the tasks that fill
    /// them, and a stream of changes that may change what runs may do: the halt switch, namespace and
    /// node labels and opt-in annotations, project specs.
    pub fn start(
        client: &Client,
        control_namespace: &str,
        runs: Store<ChaosWorkflowRun>,
        workflows: Store<ChaosWorkflow>,
    ) -> (Self, Vec<Filler>, Changes) {
        let (namespaces, ns_writer) = reflector::store();
        let (nodes, node_writer) = reflector::store();
        let (projects, project_writer) = reflector::store();
        let (pods, pod_writer) = reflector::store();
        let (halt, halt_writer) = reflector::store();
        let pod_stream = watcher(Api::<Pod>::all(client.clone()), watcher::Config::default().any_semantic())
            .default_backoff()
            .modify(slim_pod);
        let halt_api: Api<ConfigMap> = Api::namespaced(client.clone(), control_namespace);
        let halt_config = watcher::Config::default().fields(&format!("metadata.name={HALT_CONFIGMAP}"));
        let (ns_changes, ns_fill) = labelled(Api::<Namespace>::all(client.clone()), ns_writer);
        let (node_changes, node_fill) = labelled(Api::<Node>::all(client.clone()), node_writer);
        let project_stream = reflector::reflector(
            project_writer,
            watcher(Api::<Project>::all(client.clone()), watcher::Config::default().any_semantic())
                .default_backoff(),
        )
        .applied_objects()
        .predicate_filter(predicates::generation, Default::default());
        let halt_stream = reflector::reflector(halt_writer, watcher(halt_api, halt_config).default_backoff())
            .touched_objects();
        let pod_fill: Filler = Box::pin(reflector::reflector(pod_writer, pod_stream).for_each(|_| async {}));
        let changes: Changes = Box::pin(futures::stream::select_all([
            ns_changes,
            node_changes,
            Box::pin(project_stream.map(|_| ())) as Changes,
            Box::pin(halt_stream.map(|_| ())) as Changes,
        ]));
        let world = Self {
            namespaces,
            nodes,
            projects,
            pods,
            workflows,
            runs,
            halt,
            control_namespace: control_namespace.to_string(),
        };
        (world, vec![pod_fill, ns_fill, node_fill], changes)
    }
}

/// What of a namespace or node decides who may target it: its labels (the opt-in label, and a project
/// namespace's project label) and the annotation naming the projects it allows.
fn opt_in<K: kube::Resource>(obj: &K) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    obj.meta().labels.hash(&mut hasher);
    obj.meta().annotations.as_ref().and_then(|a| a.get(CHAOS_PROJECTS_ANNOTATION)).hash(&mut hasher);
    Some(hasher.finish())
}

/// A cache of `api`, and a stream that yields when an object's labels or its opt-in annotation change (the
/// fill task drives the watch; the stream only listens).
fn labelled<K>(api: Api<K>, writer: Writer<K>) -> (Changes, Filler)
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let (tx, rx) = futures::channel::mpsc::unbounded::<()>();
    let fill: Filler = Box::pin(
        reflector::reflector(
            writer,
            watcher(api, watcher::Config::default().any_semantic()).default_backoff(),
        )
        .applied_objects()
        .predicate_filter(opt_in, Default::default())
        .for_each(move |_| {
            let _ = tx.unbounded_send(());
            async {}
        }),
    );
    (Box::pin(rx), fill)
}

/// Keeps only what choosing targets (and a network fault's peers) needs of a pod, so a cache of every pod
/// stays small: labels, phase, deletion and addresses.
fn slim_pod(pod: &mut Pod) {
    pod.spec = None;
    pod.metadata.managed_fields = None;
    pod.metadata.annotations = None;
    pod.metadata.owner_references = None;
    pod.status = pod.status.take().map(|s| PodStatus {
        phase: s.phase,
        pod_ip: s.pod_ip,
        pod_ips: s.pod_ips,
        ..PodStatus::default()
    });
}

/// An empty world whose caches the test fills itself (for controller and fault tests).
#[cfg(test)]
pub mod testing {
    use super::*;
    use kube::runtime::watcher::Event;

    /// Writers for every cache of a [`World`].
    pub struct Writers {
        pub namespaces: Writer<Namespace>,
        pub nodes: Writer<Node>,
        pub projects: Writer<Project>,
        pub pods: Writer<Pod>,
        pub workflows: Writer<ChaosWorkflow>,
        pub runs: Writer<ChaosWorkflowRun>,
        pub halt: Writer<ConfigMap>,
    }

    /// A world with empty caches, each marked as filled.
    pub fn world() -> (World, Writers) {
        let (namespaces, mut a) = reflector::store();
        let (nodes, mut b) = reflector::store();
        let (projects, mut c) = reflector::store();
        let (pods, mut d) = reflector::store();
        let (workflows, mut e) = reflector::store();
        let (runs, mut f) = reflector::store();
        let (halt, mut g) = reflector::store();
        a.apply_watcher_event(&Event::InitDone);
        b.apply_watcher_event(&Event::InitDone);
        c.apply_watcher_event(&Event::InitDone);
        d.apply_watcher_event(&Event::InitDone);
        e.apply_watcher_event(&Event::InitDone);
        f.apply_watcher_event(&Event::InitDone);
        g.apply_watcher_event(&Event::InitDone);
        let world = World {
            namespaces,
            nodes,
            projects,
            pods,
            workflows,
            runs,
            halt,
            control_namespace: "chaoscenter-system".into(),
        };
        (world, Writers { namespaces: a, nodes: b, projects: c, pods: d, workflows: e, runs: f, halt: g })
    }
}
