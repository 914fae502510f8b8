//! The resiliency score: per fault step, Pass → 100, otherwise the share of its probes that passed; the
//! run's score is the weighted mean over every step of the workflow (steps that never ran count as 0).

use chaoscenter_crds::run::{ProbeStatus, ProbeVerdict, StepStatus, Verdict};
use chaoscenter_crds::workflow::ChaosWorkflowSpec;

/// The percentage (0–100) of a step's probes whose verdict is Passed; 0 when it has none.
pub fn probe_success_percentage(probes: &[ProbeStatus]) -> f64 {
    if probes.is_empty() {
        return 0.0;
    }
    let passed = probes.iter().filter(|p| p.verdict == ProbeVerdict::Passed).count();
    (passed as f64 * 100.0 / probes.len() as f64 * 100.0).trunc() / 100.0
}

/// A step's success for the score: Pass → 100, otherwise its probe success percentage.
pub fn step_success(step: &StepStatus) -> f64 {
    match step.verdict {
        Verdict::Pass => 100.0,
        _ => step.probe_success_percentage.unwrap_or(0.0),
    }
}

/// Σ(weightᵢ × successᵢ) / Σ(weightᵢ) over every step of the workflow, truncated to two decimals.
/// A step with no status yet counts with success 0 (Litmus's rule: faults that never ran still divide).
/// `None` when the weights sum to 0.
pub fn resiliency_score(spec: &ChaosWorkflowSpec, steps: &[StepStatus]) -> Option<f64> {
    let total: u64 = spec.steps.iter().map(|s| u64::from(s.weight)).sum();
    if total == 0 {
        return None;
    }
    let weighted: f64 = spec
        .steps
        .iter()
        .map(|s| {
            let success = steps.iter().find(|st| st.name == s.name).map(step_success).unwrap_or(0.0);
            f64::from(s.weight) * success
        })
        .sum();
    Some((weighted / total as f64 * 100.0).trunc() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{step, workflow};

    fn probe(verdict: ProbeVerdict) -> ProbeStatus {
        ProbeStatus { name: "p".into(), verdict, ..Default::default() }
    }

    fn status(name: &str, verdict: Verdict, probes: Vec<ProbeStatus>) -> StepStatus {
        let pct = probe_success_percentage(&probes);
        StepStatus {
            name: name.into(),
            verdict,
            probe_success_percentage: Some(pct),
            probes,
            ..Default::default()
        }
    }

    #[test]
    fn probe_percentage_counts_passed_probes() {
        assert_eq!(probe_success_percentage(&[]), 0.0);
        assert_eq!(
            probe_success_percentage(&[probe(ProbeVerdict::Passed), probe(ProbeVerdict::Failed)]),
            50.0
        );
        let three = [probe(ProbeVerdict::Passed), probe(ProbeVerdict::Failed), probe(ProbeVerdict::Failed)];
        assert_eq!(probe_success_percentage(&three), 33.33);
    }

    #[test]
    fn weighted_mean_over_all_steps() {
        let mut spec = workflow(vec![step("a", &[]), step("b", &[]), step("c", &[])]);
        spec.steps[0].weight = 10;
        spec.steps[1].weight = 5;
        spec.steps[2].weight = 5;
        let steps = vec![
            status("a", Verdict::Pass, vec![probe(ProbeVerdict::Passed)]),
            status("b", Verdict::Fail, vec![probe(ProbeVerdict::Passed), probe(ProbeVerdict::Failed)]),
            // c never ran
        ];
        // (10×100 + 5×50 + 5×0) / 20 = 62.5
        assert_eq!(resiliency_score(&spec, &steps), Some(62.5));
    }

    #[test]
    fn pass_without_probes_is_100_and_zero_weights_give_none() {
        let spec = workflow(vec![step("a", &[])]);
        assert_eq!(resiliency_score(&spec, &[status("a", Verdict::Pass, vec![])]), Some(100.0));
        assert_eq!(resiliency_score(&spec, &[status("a", Verdict::Stopped, vec![])]), Some(0.0));
        let mut spec = workflow(vec![step("a", &[])]);
        spec.steps[0].weight = 0;
        assert_eq!(resiliency_score(&spec, &[]), None);
    }

    #[test]
    fn truncates_to_two_decimals() {
        let mut spec = workflow(vec![step("a", &[]), step("b", &[])]);
        spec.steps[0].weight = 1;
        spec.steps[1].weight = 2;
        // (1×100 + 2×0)/3 = 33.333…
        assert_eq!(resiliency_score(&spec, &[status("a", Verdict::Pass, vec![])]), Some(33.33));
    }
}
