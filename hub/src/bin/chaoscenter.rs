//! The `chaoscenter` command line: `chaoscenter import litmus FILE…` prints the ChaosWorkflows the Litmus
//! experiments in the files convert to, as YAML to apply, and on stderr what was mapped and dropped.

use std::io::Read;
use std::process::ExitCode;

const USAGE: &str = "usage: chaoscenter import litmus FILE… (- reads standard input)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["import", "litmus", files @ ..] if !files.is_empty() => import(files),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn import(files: &[&str]) -> ExitCode {
    let mut documents = Vec::new();
    for file in files {
        let text = if *file == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map(|_| s)
        } else {
            std::fs::read_to_string(file)
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{file}: cannot read: {e}");
                continue;
            }
        };
        match chaoscenter_hub::import_litmus(&text) {
            Err(e) => eprintln!("{file}: nothing converted: {e}"),
            Ok(imports) => {
                for i in imports {
                    eprintln!("{file}: {} → ChaosWorkflow {}", i.name, i.name);
                    for m in &i.mapped {
                        eprintln!("  mapped: {m}");
                    }
                    for d in &i.dropped {
                        eprintln!("  dropped: {d}");
                    }
                    let doc = serde_json::json!({
                        "apiVersion": "chaoscenter.io/v1alpha1",
                        "kind": "ChaosWorkflow",
                        "metadata": {"name": i.name},
                        "spec": i.workflow,
                    });
                    match serde_yaml::to_string(&doc) {
                        Ok(y) => documents.push(y),
                        Err(e) => eprintln!("{file}: {}: cannot write YAML: {e}", i.name),
                    }
                }
            }
        }
    }
    if documents.is_empty() {
        return ExitCode::FAILURE;
    }
    print!("{}", documents.join("---\n"));
    ExitCode::SUCCESS
}
