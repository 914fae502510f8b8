// Tests of yaml.ts.
import { describe, expect, it } from "vitest";
import { checkWorkflowYaml, objectPath, parseWorkflowYaml, serverProblemsInYaml, yamlToForm } from "./yaml";

const good = `apiVersion: chaoscenter.io/v1alpha1
kind: ChaosWorkflow
metadata:
  name: flow
  namespace: demo-chaos
  labels: {team: sre}
spec:
  steps:
    - name: kill
      fault:
        type: pod-delete
        target: {namespace: demo, selector: {matchLabels: {app: web}}}
`;

describe("parseWorkflowYaml", () => {
  it("reads a ChaosWorkflow", () => {
    const r = parseWorkflowYaml(good);
    expect(r.problems).toBeUndefined();
    expect(r.workflow?.metadata.name).toBe("flow");
    expect(r.workflow?.spec.steps[0].fault.type).toBe("pod-delete");
  });

  it("gives syntax errors with their line and column", () => {
    const r = parseWorkflowYaml("apiVersion: chaoscenter.io/v1alpha1\nkind: [ChaosWorkflow\nspec: {}\n");
    expect(r.problems?.length).toBeGreaterThan(0);
    expect(r.problems?.[0].line).toBeGreaterThanOrEqual(2);
    expect(r.problems?.[0].col).toBeGreaterThanOrEqual(1);
    expect(r.problems?.[0].message).not.toContain("\n");
  });

  it("flags duplicate keys", () => {
    const r = parseWorkflowYaml(good.replace("  name: flow\n", "  name: flow\n  name: other\n"));
    expect(r.problems?.[0].line).toBe(5);
  });

  it("says where the shape is wrong", () => {
    const bad = good.replace("type: pod-delete", "type: pod-kill").replace("- name: kill", "- name: kill\n      weight: heavy");
    const r = parseWorkflowYaml(bad);
    expect(r.problems?.map((p) => p.message)).toEqual([
      'spec.steps[0].weight: must be a number, not the text "heavy"',
      'spec.steps[0].fault.type: must be one of pod-delete, pod-autoscaler, node-cordon, node-taint, node-drain, network-partition, network-delay, network-loss, network-duplicate, network-corrupt, network-rate, container-kill, pod-cpu-stress, pod-memory-stress, pod-io-stress, disk-fill, dns-error, dns-spoof, http-latency, http-abort, http-status, http-modify, node-cpu-stress, node-memory-stress, not the text "pod-kill"',
    ]);
    expect(r.problems?.[0].line).toBe(10);
    expect(r.problems?.[1].line).toBe(12);
    expect(r.problems?.[1].col).toBe(15);
  });

  it("names unknown fields, missing fields and unquoted strings", () => {
    const r = parseWorkflowYaml(good.replace("  steps:", "  retries: 3\n  steps:").replace("        type: pod-delete\n", ""));
    expect(r.problems?.map((p) => p.message)).toEqual([
      "spec.retries: not a field of a ChaosWorkflow",
      "spec.steps[0].fault.type: required",
    ]);
    const probe = parseWorkflowYaml(
      good +
        "      probes:\n        - name: p\n          type: prom\n          prom: {endpoint: 'http://p', query: up, comparator: {criteria: '<=', value: 0.5}}\n",
    );
    expect(probe.problems?.[0].message).toBe("spec.steps[0].probes[0].prom.comparator.value: must be text, not the number 0.5 (put it in quotes)");
  });

  it("wants the right kind and a name", () => {
    expect(parseWorkflowYaml(good.replace("kind: ChaosWorkflow", "kind: ChaosWorkflowRun")).problems?.[0].message).toBe("kind: must be ChaosWorkflow");
    expect(parseWorkflowYaml(good.replace("v1alpha1", "v1")).problems?.[0].message).toBe("apiVersion: must be chaoscenter.io/v1alpha1");
    expect(parseWorkflowYaml(good.replace("  name: flow\n", "")).problems?.[0].message).toBe("metadata.name: required");
    expect(parseWorkflowYaml("").problems?.[0].message).toBe("the document is empty");
    expect(parseWorkflowYaml("- a\n- b\n").problems?.[0].message).toBe(": must be a mapping, not a list");
  });
});

/** The sample with its step turned into a network fault with `params` (YAML flow mappings). */
const networkYaml = (type: string, params: string) =>
  good.replace("type: pod-delete", `type: ${type}`) + `        params: ${params}\n`;

describe("network faults in YAML", () => {
  it("knows their parameters and destinations", () => {
    const text = networkYaml(
      "network-delay",
      "{latency: 100ms, jitter: 5ms, correlation: 10, destinations: {cidrs: [10.0.0.0/8], hosts: [db.example], pods: {namespace: data, selector: {matchLabels: {app: db}}}, ports: [5432], protocol: tcp}}",
    );
    expect(parseWorkflowYaml(text).problems).toBeUndefined();
    expect(checkWorkflowYaml(text)).toEqual([]);
    const form = yamlToForm(text).form!;
    expect(form.steps[0]).toMatchObject({ faultType: "network-delay", latency: "100ms", jitter: "5ms", correlation: "10" });
    expect(form.steps[0].destinations).toEqual({ cidrs: "10.0.0.0/8", hosts: "db.example", podsNamespace: "data", podsSelector: "app=db", ports: "5432", protocol: "tcp" });
    expect(parseWorkflowYaml(networkYaml("network-partition", "{mechanism: network-policy}")).problems).toBeUndefined();
  });

  it("says where their shape is wrong", () => {
    const r = parseWorkflowYaml(networkYaml("network-partition", "{mechanism: iptables, destinations: {ports: ['80'], protocol: sctp, pods: {namespace: x}, peers: []}}"));
    expect(r.problems?.map((p) => p.message)).toEqual([
      "spec.steps[0].fault.params.mechanism: must be one of agent, network-policy, not the text \"iptables\"",
      'spec.steps[0].fault.params.destinations.ports[0]: must be a number, not the text "80"',
      'spec.steps[0].fault.params.destinations.protocol: must be one of tcp, udp, icmp, not the text "sctp"',
      "spec.steps[0].fault.params.destinations.pods.selector: required",
      "spec.steps[0].fault.params.destinations.peers: not a field of a ChaosWorkflow",
    ]);
    expect(r.problems?.every((p) => p.line === 13)).toBe(true);
  });

  it("places the form's checks of their parameters at their line", () => {
    expect(checkWorkflowYaml(networkYaml("network-rate", "{rate: fast}"))).toEqual([
      {
        message: 'spec.steps[0].fault.params.rate: "fast" is not a bandwidth such as 1mbit, 500kbit or 2gbit',
        field: "spec.steps[0].fault.params.rate",
        line: 13,
        col: 24,
      },
    ]);
  });

  it("shows the server's refusal of a combination at its field's line", () => {
    const text = networkYaml("network-rate", "{rate: 1mbit, destinations: {ports: [80]}}");
    expect(checkWorkflowYaml(text)).toEqual([]);
    const problems = serverProblemsInYaml(
      text,
      [{ field: "spec.steps[0].fault.params.destinations", message: "not used by network-rate (a rate limit holds for the whole interface); remove it" }],
      [],
    );
    expect(problems).toEqual([
      {
        message: "spec.steps[0].fault.params.destinations: not used by network-rate (a rate limit holds for the whole interface); remove it",
        field: "spec.steps[0].fault.params.destinations",
        line: 13,
        col: 45,
      },
    ]);
  });
});

describe("the node agent's container, stress, disk, DNS and HTTP faults in YAML", () => {
  it("knows their parameters", () => {
    const texts = [
      networkYaml("container-kill", "{container: app, signal: SIGTERM}"),
      networkYaml("pod-cpu-stress", "{container: app, cores: 2, load: 80}"),
      networkYaml("pod-memory-stress", "{size: 256Mi, allowOom: true}"),
      networkYaml("pod-io-stress", "{workers: 2, size: 64Mi, path: /data}"),
      networkYaml("disk-fill", "{percent: 80, path: /var/cache}"),
      networkYaml("dns-error", "{dns: {names: [api.example.com, '*.example.org'], error: SERVFAIL}}"),
      networkYaml("dns-spoof", "{dns: {answers: {api.example.com: 10.0.0.1, '*.example.org': 10.0.0.2}}}"),
      networkYaml("http-latency", "{latency: 200ms, http: {port: 8080, direction: outbound, method: GET, path: /api}}"),
      networkYaml("http-abort", "{http: {port: 8080}}"),
      networkYaml("http-status", "{http: {port: 80, status: 503, body: down}}"),
      networkYaml("http-modify", "{http: {port: 80, headers: {X-Chaos: 'on'}}}"),
    ];
    for (const text of texts) {
      expect(parseWorkflowYaml(text).problems, text).toBeUndefined();
      expect(checkWorkflowYaml(text), text).toEqual([]);
    }
    const node = good.replace("type: pod-delete", "type: node-memory-stress").replace("{namespace: demo, ", "{kind: Node, ") + "        params: {size: 1Gi}\n";
    expect(checkWorkflowYaml(node)).toEqual([]);
    expect(yamlToForm(texts[6]).form!.steps[0].dns.answers).toBe("api.example.com=10.0.0.1\n*.example.org=10.0.0.2");
    expect(yamlToForm(texts[10]).form!.steps[0].http).toMatchObject({ port: "80", headers: "X-Chaos: on" });
  });

  it("says where their shape is wrong", () => {
    const r = parseWorkflowYaml(networkYaml("http-status", "{allowOom: yes, http: {status: '503', direction: both, headers: {X-A: 1}}, dns: {error: REFUSED}}"));
    expect(r.problems?.map((p) => p.message)).toEqual([
      'spec.steps[0].fault.params.allowOom: must be true or false, not the text "yes"',
      "spec.steps[0].fault.params.http.port: required",
      'spec.steps[0].fault.params.http.status: must be a number, not the text "503"',
      'spec.steps[0].fault.params.http.direction: must be one of inbound, outbound, not the text "both"',
      "spec.steps[0].fault.params.http.headers.X-A: must be text, not the number 1 (put it in quotes)",
      'spec.steps[0].fault.params.dns.error: must be one of NXDOMAIN, SERVFAIL, not the text "REFUSED"',
    ]);
  });

  it("places the form's checks of their parameters at their line", () => {
    expect(checkWorkflowYaml(networkYaml("pod-memory-stress", "{size: 1.5Gi}"))).toEqual([
      { message: 'spec.steps[0].fault.params.size: "1.5Gi" is not a size such as 64Mi or 1Gi', field: "spec.steps[0].fault.params.size", line: 13, col: 24 },
    ]);
  });

  it("shows the server's bounds of their parameters at their field's line", () => {
    const text = networkYaml("pod-cpu-stress", "{cores: 100}");
    expect(checkWorkflowYaml(text)).toEqual([]);
    const problems = serverProblemsInYaml(text, [{ field: "spec.steps[0].fault.params.cores", message: "100 is outside 1 to 64" }], []);
    expect(problems).toEqual([
      { message: "spec.steps[0].fault.params.cores: 100 is outside 1 to 64", field: "spec.steps[0].fault.params.cores", line: 13, col: 25 },
    ]);
  });
});

describe("yamlToForm", () => {
  it("gives the form, or the problems", () => {
    const r = yamlToForm(good);
    expect(r.form?.name).toBe("flow");
    expect(r.form?.steps[0].selector).toBe("app=web");
    expect(yamlToForm("spec: [").problems?.length).toBeGreaterThan(0);
  });
});

describe("checkWorkflowYaml", () => {
  it("is empty for a valid workflow", () => {
    expect(checkWorkflowYaml(good)).toEqual([]);
  });

  it("places the form's checks at their line, with their field", () => {
    const problems = checkWorkflowYaml(good.replace("- name: kill", "- name: kill\n      weight: 2.5").replace("  name: flow", "  name: Flow"));
    expect(problems).toEqual([
      {
        message: "metadata.name: lowercase letters, digits and '-', starting and ending with a letter or digit",
        field: "metadata.name",
        line: 4,
        col: 9,
      },
      { message: "spec.steps[0].weight: a whole number", field: "spec.steps[0].weight", line: 10, col: 15 },
    ]);
    // ranges are the server's: a weight of 5000 passes here
    expect(checkWorkflowYaml(good.replace("- name: kill", "- name: kill\n      weight: 5000"))).toEqual([]);
  });

  it("places errors of missing fields at their parent", () => {
    const problems = checkWorkflowYaml(good.replace("target: {namespace: demo, selector: {matchLabels: {app: web}}}", "target: {selector: {matchLabels: {app: web}}}"));
    expect(problems).toEqual([
      { message: "spec.steps[0].fault.target.namespace: required", field: "spec.steps[0].fault.target.namespace", line: 12, col: 17 },
    ]);
  });

  it("passes syntax errors through", () => {
    expect(checkWorkflowYaml("a: [")[0].line).toBeDefined();
  });
});

describe("serverProblemsInYaml", () => {
  it("puts the validator's problems at the line of their field, or of the nearest part of it written", () => {
    const problems = serverProblemsInYaml(
      good,
      [
        { field: "spec.steps[0].fault.type", message: "x" },
        { field: "spec.steps[0].fault.duration", message: "required" },
        { field: "spec.steps[0].fault.target.selector.matchLabels[app]", message: "y" },
        { field: "spec", message: "is not valid" },
      ],
      [],
    );
    expect(problems).toEqual([
      { message: "spec.steps[0].fault.type: x", field: "spec.steps[0].fault.type", line: 11, col: 15 },
      { message: "spec.steps[0].fault.duration: required", field: "spec.steps[0].fault.duration", line: 11, col: 9 },
      { message: "spec.steps[0].fault.target.selector.matchLabels[app]: y", field: "spec.steps[0].fault.target.selector.matchLabels[app]", line: 12, col: 65 },
      { message: "spec: is not valid", field: "spec", line: 8, col: 3 },
    ]);
  });

  it("leaves out what the YAML's own checks report for the same field", () => {
    const own = checkWorkflowYaml(good.replace("- name: kill", "- name: kill\n      weight: 2.5"));
    const server = [
      { field: "spec.steps[0].weight", message: "must be a whole number" },
      { field: "spec.steps[0].name", message: "z" },
    ];
    expect(serverProblemsInYaml(good, server, own).map((p) => p.field)).toEqual(["spec.steps[0].name"]);
    expect(serverProblemsInYaml("a: [", server, [])[0]).toEqual({ message: "spec.steps[0].weight: must be a whole number", field: "spec.steps[0].weight" });
  });
});

describe("objectPath", () => {
  it("writes list indexes in brackets", () => {
    expect(objectPath("steps.0.probes.12.http.url")).toBe("spec.steps[0].probes[12].http.url");
    expect(objectPath("name")).toBe("metadata.name");
    expect(objectPath("maxDuration")).toBe("spec.maxDuration");
  });
});
