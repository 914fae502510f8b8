//! The resiliency score: per fault step, Pass → 100, otherwise the share of its probes that passed; the
//! run's score is the weighted mean over every step of the workflow (steps that never ran count as 0).
//! Computed in whole hundredths, so no rounding error creeps into the two decimals.

use crate::plan::Workflow;
use chaoscenter_crds::run::{ProbeStatus, ProbeVerdict, StepStatus, Verdict};

/// The percentage (0–100, two decimals, truncated) of a step's probes whose verdict is Passed; 0 when
/// it has none.
pub fn probe_success_percentage(probes: &[ProbeStatus]) -> f64 {
    if probes.is_empty() {
        return 0.0;
    }
    let passed = probes.iter().filter(|p| p.verdict == ProbeVerdict::Passed).count() as u64;
    let hundredths = passed * 10_000 / probes.len() as u64;
    hundredths as f64 / 100.0
}

/// A step's success for the score in hundredths of a percent: Pass → 10000, otherwise its probe success
/// percentage.
fn step_success(step: &StepStatus) -> u64 {
    match step.verdict {
        Verdict::Pass => 10_000,
        _ => {
            let pct = step.probe_success_percentage.unwrap_or(0.0);
            // the stored value has two decimals: undo the float's representation error, then bound it
            let hundredths = (pct * 100.0 + 0.5) as u64;
            hundredths.min(10_000)
        }
    }
}

/// Σ(weightᵢ × successᵢ) / Σ(weightᵢ) over every step of the workflow, truncated to two decimals.
/// A step with no status yet counts with success 0 (Litmus's rule: faults that never ran still divide).
/// `None` when the weights sum to 0.
pub fn resiliency_score(workflow: &Workflow, steps: &[StepStatus]) -> Option<f64> {
    let total: u64 = workflow.steps.iter().map(|s| u64::from(s.weight)).sum();
    if total == 0 {
        return None;
    }
    let weighted: u64 = workflow
        .steps
        .iter()
        .map(|s| {
            let success = steps.iter().find(|st| st.name == s.name).map(step_success).unwrap_or(0);
            u64::from(s.weight) * success
        })
        .sum();
    Some((weighted / total) as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{step, workflow};
    use alloc::string::String;
    use alloc::vec;
    use alloc::vec::Vec;

    fn probe(verdict: ProbeVerdict) -> ProbeStatus {
        ProbeStatus { name: String::from("p"), verdict, ..Default::default() }
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
        let two_of_three =
            [probe(ProbeVerdict::Passed), probe(ProbeVerdict::Passed), probe(ProbeVerdict::Failed)];
        assert_eq!(probe_success_percentage(&two_of_three), 66.66);
    }

    #[test]
    fn weighted_mean_over_all_steps() {
        let mut wf = workflow(vec![step("a", &[]), step("b", &[]), step("c", &[])]);
        wf.steps[0].weight = 10;
        wf.steps[1].weight = 5;
        wf.steps[2].weight = 5;
        let steps = vec![
            status("a", Verdict::Pass, vec![probe(ProbeVerdict::Passed)]),
            status("b", Verdict::Fail, vec![probe(ProbeVerdict::Passed), probe(ProbeVerdict::Failed)]),
            // c never ran
        ];
        // (10×100 + 5×50 + 5×0) / 20 = 62.5
        assert_eq!(resiliency_score(&wf, &steps), Some(62.5));
    }

    #[test]
    fn pass_without_probes_is_100_and_zero_weights_give_none() {
        let wf = workflow(vec![step("a", &[])]);
        assert_eq!(resiliency_score(&wf, &[status("a", Verdict::Pass, vec![])]), Some(100.0));
        assert_eq!(resiliency_score(&wf, &[status("a", Verdict::Stopped, vec![])]), Some(0.0));
        let mut wf = workflow(vec![step("a", &[])]);
        wf.steps[0].weight = 0;
        assert_eq!(resiliency_score(&wf, &[]), None);
    }

    #[test]
    fn truncates_to_two_decimals() {
        let mut wf = workflow(vec![step("a", &[]), step("b", &[])]);
        wf.steps[0].weight = 1;
        wf.steps[1].weight = 2;
        // (1×100 + 2×0)/3 = 33.333…
        assert_eq!(resiliency_score(&wf, &[status("a", Verdict::Pass, vec![])]), Some(33.33));
        // (10×50 + 5×50)/15 = 50, with 83.33-style inputs exact too
        let mut wf = workflow(vec![step("a", &[]), step("b", &[])]);
        wf.steps[1].weight = 5;
        let steps = vec![
            status("a", Verdict::Pass, vec![]),
            status("b", Verdict::Fail, vec![probe(ProbeVerdict::Passed), probe(ProbeVerdict::Failed)]),
        ];
        assert_eq!(resiliency_score(&wf, &steps), Some(83.33));
    }

    #[test]
    fn a_garbled_stored_percentage_is_bounded() {
        let wf = workflow(vec![step("a", &[])]);
        let mut st = status("a", Verdict::Fail, vec![]);
        st.probe_success_percentage = Some(1e300);
        assert_eq!(resiliency_score(&wf, &[st.clone()]), Some(100.0));
        st.probe_success_percentage = Some(f64::NAN);
        assert_eq!(resiliency_score(&wf, &[st]), Some(0.0));
    }
}
