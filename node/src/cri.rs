//! The container runtime's CRI API: a pod's ready sandbox (by the kubelet's `io.kubernetes.pod.uid` label)
//! and its process id, from the sandbox's verbose status (the sandbox's pause process holds the network
//! namespace, so a crash-looping app container does not matter); and a pod's running containers with
//! their main processes (container-kill, the stressors' cgroups, disk-fill's paths).

use anyhow::Context as _;
use hyper_util::rt::TokioIo;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::{
    ContainerFilter, ContainerState, ContainerStateValue, ContainerStatusRequest, ListContainersRequest,
    ListPodSandboxRequest, PodSandboxFilter, PodSandboxState, PodSandboxStateValue, PodSandboxStatusRequest,
};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::transport::{Endpoint, Uri};

/// How long one CRI call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The process id of the ready sandbox of the pod with `pod_uid`.
pub async fn sandbox_pid(socket: &Path, pod_uid: &str) -> anyhow::Result<u32> {
    tokio::time::timeout(CALL_TIMEOUT, lookup(socket, pod_uid)).await.with_context(|| {
        format!("the container runtime at {} did not answer within {CALL_TIMEOUT:?}", socket.display())
    })?
}

/// The kubelet's label of a container's pod uid.
const POD_UID_LABEL: &str = "io.kubernetes.pod.uid";
/// The kubelet's label of a container's name in its pod.
const CONTAINER_NAME_LABEL: &str = "io.kubernetes.container.name";

/// A pod's running container, as the runtime reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    pub id: String,
    /// Its name in the pod.
    pub name: String,
    /// How many times the kubelet started it before (its restart count).
    pub attempt: u32,
    /// Its main process (pid 1 inside it), in the host's pid namespace.
    pub pid: u32,
    /// Nanoseconds since the epoch.
    pub created_at: i64,
}

/// The running containers of the pod with `pod_uid` (named `name` only, when given), oldest first.
pub async fn running_containers(
    socket: &Path,
    pod_uid: &str,
    name: Option<&str>,
) -> anyhow::Result<Vec<Container>> {
    tokio::time::timeout(CALL_TIMEOUT, list_running(socket, pod_uid, name)).await.with_context(|| {
        format!("the container runtime at {} did not answer within {CALL_TIMEOUT:?}", socket.display())
    })?
}

/// The container a pod fault aims at: the one named `name`, or else the pod's oldest running container
/// (the kubelet starts a pod's containers in the order of its spec). An error names what is missing.
pub async fn target_container(socket: &Path, pod_uid: &str, name: Option<&str>) -> anyhow::Result<Container> {
    let containers = running_containers(socket, pod_uid, name).await?;
    containers.into_iter().next().with_context(|| match name {
        Some(n) => format!("the pod has no running container named {n:?}"),
        None => "the pod has no running container".to_string(),
    })
}

async fn list_running(socket: &Path, pod_uid: &str, name: Option<&str>) -> anyhow::Result<Vec<Container>> {
    let mut client = connect(socket).await?;
    let mut labels: std::collections::HashMap<String, String> =
        [(POD_UID_LABEL.to_string(), pod_uid.to_string())].into();
    if let Some(name) = name {
        labels.insert(CONTAINER_NAME_LABEL.into(), name.into());
    }
    let filter = ContainerFilter {
        state: Some(ContainerStateValue { state: ContainerState::ContainerRunning as i32 }),
        label_selector: labels,
        ..Default::default()
    };
    let mut listed = client
        .list_containers(ListContainersRequest { filter: Some(filter) })
        .await
        .context("ListContainers failed")?
        .into_inner()
        .containers;
    listed.sort_by_key(|c| c.created_at);
    let mut out = vec![];
    for c in listed {
        let status = client
            .container_status(ContainerStatusRequest { container_id: c.id.clone(), verbose: true })
            .await
            .with_context(|| format!("ContainerStatus of {} failed", c.id))?
            .into_inner();
        // a container that stopped between the two calls is not running any more
        if status.status.as_ref().is_some_and(|s| s.state != ContainerState::ContainerRunning as i32) {
            continue;
        }
        let Some(pid) = status.info.get("info").and_then(|info| pid_of(info)) else { continue };
        let meta = c.metadata.unwrap_or_default();
        let name = c.labels.get(CONTAINER_NAME_LABEL).cloned().unwrap_or(meta.name);
        out.push(Container { id: c.id, name, attempt: meta.attempt, pid, created_at: c.created_at });
    }
    Ok(out)
}

async fn connect(socket: &Path) -> anyhow::Result<RuntimeServiceClient<tonic::transport::Channel>> {
    let path: PathBuf = socket.to_path_buf();
    let channel = Endpoint::try_from("http://[::]:0")?
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let path = path.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(path).await?)) }
        }))
        .await
        .with_context(|| format!("failed to connect to the container runtime at {}", socket.display()))?;
    Ok(RuntimeServiceClient::new(channel))
}

async fn lookup(socket: &Path, pod_uid: &str) -> anyhow::Result<u32> {
    let mut client = connect(socket).await?;
    let filter = PodSandboxFilter {
        id: String::new(),
        state: Some(PodSandboxStateValue { state: PodSandboxState::SandboxReady as i32 }),
        label_selector: [(POD_UID_LABEL.to_string(), pod_uid.to_string())].into(),
    };
    let mut sandboxes = client
        .list_pod_sandbox(ListPodSandboxRequest { filter: Some(filter) })
        .await
        .context("ListPodSandbox failed")?
        .into_inner()
        .items;
    sandboxes.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    let sandbox = sandboxes
        .first()
        .with_context(|| format!("the runtime has no ready sandbox for pod uid {pod_uid}"))?;
    let status = client
        .pod_sandbox_status(PodSandboxStatusRequest { pod_sandbox_id: sandbox.id.clone(), verbose: true })
        .await
        .context("PodSandboxStatus failed")?
        .into_inner();
    let info = status.info.get("info").context("the runtime's sandbox status has no verbose info")?;
    pid_of(info).with_context(|| format!("sandbox {} has no process id in its verbose info", sandbox.id))
}

/// The `pid` in a sandbox's or container's verbose info JSON (containerd and CRI-O both report it there).
fn pid_of(info: &str) -> Option<u32> {
    let value: serde_json::Value = serde_json::from_str(info).ok()?;
    value.get("pid")?.as_u64().and_then(|p| u32::try_from(p).ok()).filter(|p| *p > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_comes_from_the_verbose_info() {
        assert_eq!(pid_of(r#"{"pid": 4242, "processStatus": "running"}"#), Some(4242));
        assert_eq!(pid_of(r#"{"pid": 0}"#), None);
        assert_eq!(pid_of(r#"{"pid": 1}"#), None, "never the host's init");
        assert_eq!(pid_of("not json"), None);
    }
}
