//! The execution engine's pure parts: step-graph validation, the run state machine, target choice and
//! the resiliency score. No IO here: the run controller gathers the world and applies the actions.

pub mod dag;
pub mod decide;
pub mod score;
pub mod select;

#[cfg(test)]
mod decide_tests;

#[cfg(test)]
pub(crate) mod tests {
    //! Builders shared by the engine's tests.
    use chaoscenter_crds::workflow::{
        ChaosWorkflowSpec, Fault, FaultParams, FaultType, HttpProbe, Probe, ProbeMode, ProbeType,
        RunProperties, Step, Target,
    };

    pub fn step(name: &str, deps: &[&str]) -> Step {
        Step {
            name: name.into(),
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            weight: 10,
            fault: Fault {
                type_: FaultType::PodDelete,
                target: Target { namespace: Some("shop".into()), ..Default::default() },
                duration: "30s".into(),
                interval: None,
                params: FaultParams::default(),
            },
            probes: vec![],
        }
    }

    pub fn probe(name: &str, mode: ProbeMode) -> Probe {
        Probe {
            name: name.into(),
            type_: ProbeType::Http,
            mode,
            http: Some(HttpProbe {
                url: "http://x".into(),
                method: Default::default(),
                body: None,
                expect_status: None,
                expect_body_contains: None,
            }),
            k8s: None,
            prom: None,
            cmd: None,
            run_properties: RunProperties::default(),
        }
    }

    pub fn workflow(steps: Vec<Step>) -> ChaosWorkflowSpec {
        ChaosWorkflowSpec { steps, time_zone: "UTC".into(), max_duration: "30m".into(), ..Default::default() }
    }
}
