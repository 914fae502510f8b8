//! ChaosCenter's core: the one validator that turns a `ChaosWorkflowSpec` into a typed, bounded
//! [`Workflow`], and the execution engine that decides a run's next actions from it. Pure: no client, no
//! clock, no IO.
//!
//! `#![no_std]` makes the compiler enforce that: nothing here can open a file, a socket or a process,
//! and `clippy.toml` forbids reading the clock. The operator gathers the world, the apiserver and the
//! admission webhook validate with [`validate`], and all of them act on the same typed plan.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod agent_fault;
pub mod compare;
pub mod dag;
pub mod decide;
pub mod duration;
pub mod field;
pub mod limits;
pub mod optin;
pub mod plan;
pub mod redact;
pub mod schedule;
pub mod score;
pub mod select;
pub mod selector;
pub mod time;
pub mod validate;

#[cfg(test)]
mod decide_tests;
#[cfg(test)]
pub(crate) mod testing;

pub use field::{FieldError, Invalid};
pub use plan::{Fault, FaultAction, Probe, Step, Workflow};
pub use validate::validate;
