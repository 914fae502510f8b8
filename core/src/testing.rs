//! Builders shared by the engine's tests: typed steps, probes and workflows.

use crate::plan::*;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use chaoscenter_crds::workflow::{ConcurrencyPolicy, HttpMethod, ProbeMode};
use core::time::Duration;

/// A pod-delete step in namespace `shop` (selector `app=web`, mode all, 30 s) depending on `deps`.
pub fn step(name: &str, deps: &[&str]) -> Step {
    let selector = crate::selector::Selector::parse(
        &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
            match_labels: Some([(String::from("app"), String::from("web"))].into()),
            match_expressions: None,
        },
        &crate::field::Path::root("t"),
        &mut crate::field::Errors::default(),
    )
    .flatten();
    Step {
        name: name.into(),
        depends_on: deps.iter().map(|d| d.to_string()).collect(),
        weight: 10,
        fault: Fault {
            duration: Duration::from_secs(30),
            interval: None,
            action: FaultAction::PodDelete(PodDelete {
                target: PodTarget {
                    namespace: "shop".into(),
                    pods: PodSource::Matching { selector, name: None },
                    count: Count::All,
                },
                grace_period_seconds: None,
            }),
        },
        probes: Vec::new(),
    }
}

/// A step like [`step`] whose fault holds a state (scales `web` to 1).
pub fn scale_step(name: &str) -> Step {
    let mut s = step(name, &[]);
    s.fault.action = FaultAction::PodAutoscaler(PodAutoscaler {
        target: WorkloadTarget {
            namespace: "shop".into(),
            kind: WorkloadKind::Deployment,
            selector: None,
            name: Some("web".into()),
            count: Count::All,
        },
        replicas: 1,
    });
    s
}

/// An http probe checking every 2 s with a 1 s timeout.
pub fn probe(name: &str, mode: ProbeMode) -> Probe {
    Probe {
        name: name.into(),
        mode,
        interval: Duration::from_secs(2),
        timeout: Duration::from_secs(1),
        attempts: 1,
        initial_delay: Duration::ZERO,
        stop_on_failure: false,
        check: Check::Http(HttpCheck {
            url: "http://x".into(),
            method: HttpMethod::GET,
            body: None,
            expect_status: None,
            expect_body_contains: None,
        }),
    }
}

/// A workflow of `steps` with a 30-minute deadline.
pub fn workflow(steps: Vec<Step>) -> Workflow {
    Workflow {
        max_duration: Duration::from_secs(1800),
        schedule: None,
        concurrency_policy: ConcurrencyPolicy::Forbid,
        suspend: false,
        starting_deadline: None,
        run_history_limit: 10,
        steps,
    }
}
