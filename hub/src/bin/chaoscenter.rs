//! The `chaoscenter` command line: `chaoscenter import litmus FILE…` prints the ChaosWorkflows the Litmus
//! experiments in the files convert to, as YAML to apply, and on stderr what was mapped and dropped.

fn main() {
    eprintln!("usage: chaoscenter import litmus FILE…");
    std::process::exit(2);
}
