// Tests of validate.ts.
import { describe, expect, it } from "vitest";
import { newProbe, newStep, newWorkflowForm, type ProbeForm, type StepForm, type WorkflowForm } from "./form";
import { dnsLabelError, fieldOfMessage, parseDuration, scheduleError, validateForm } from "./validate";

/** A valid workflow: one pod-delete step against app=web. */
function valid(): WorkflowForm {
  const form = newWorkflowForm(["demo"]);
  form.name = "my-flow";
  form.steps[0].selector = "app=web";
  return form;
}

/** The errors of a valid form after `change`. */
function errorsAfter(change: (form: WorkflowForm, step: StepForm) => void): Record<string, string> {
  const form = valid();
  change(form, form.steps[0]);
  return validateForm(form);
}

function withProbe(change: (p: ProbeForm) => void): Record<string, string> {
  return errorsAfter((_, s) => {
    const p = newProbe("up");
    p.http.url = "http://web.demo/";
    change(p);
    s.probes.push(p);
  });
}

describe("validateForm", () => {
  it("passes a valid form", () => {
    expect(validateForm(valid())).toEqual({});
  });

  it("checks the workflow's name", () => {
    expect(errorsAfter((f) => (f.name = ""))).toEqual({ name: "required" });
    expect(errorsAfter((f) => (f.name = "My_Flow")).name).toMatch(/lowercase/);
    expect(errorsAfter((f) => (f.name = "a".repeat(64))).name).toMatch(/63/);
    expect(errorsAfter((f) => (f.name = "-flow")).name).toMatch(/lowercase/);
  });

  it("checks the schedule's shape: five fields or a macro", () => {
    for (const ok of ["*/30 8-18 * * 1-5", "0 0 * * *", "@hourly", "@annually", "0 12 1 jan-mar mon", "5,10 * * * 0"]) {
      expect(errorsAfter((f) => (f.schedule = ok)), ok).toEqual({});
    }
    expect(errorsAfter((f) => (f.schedule = "* * * *")).schedule).toMatch(/five fields/);
    expect(errorsAfter((f) => (f.schedule = "@sometimes")).schedule).toMatch(/macro/);
  });

  it("checks whole numbers and the max duration's syntax", () => {
    expect(errorsAfter((f) => (f.runHistoryLimit = "2.5")).runHistoryLimit).toBe("a whole number");
    expect(errorsAfter((f) => (f.startingDeadlineSeconds = "1e3")).startingDeadlineSeconds).toBe("a whole number");
    expect(errorsAfter((f) => (f.maxDuration = "15 minutes")).maxDuration).toMatch(/not a duration/);
    expect(errorsAfter((f) => Object.assign(f, { maxDuration: "1h30m", runHistoryLimit: "10", startingDeadlineSeconds: "60" }))).toEqual({});
  });

  it("needs a step", () => {
    expect(errorsAfter((f) => (f.steps = [])).steps).toMatch(/at least one/);
  });

  it("checks a step's name, weight and durations", () => {
    expect(errorsAfter((_, s) => (s.name = "Kill Pods"))["steps.0.name"]).toMatch(/lowercase/);
    expect(errorsAfter((_, s) => (s.name = ""))["steps.0.name"]).toBe("required");
    expect(errorsAfter((_, s) => (s.weight = "1.5"))["steps.0.weight"]).toBe("a whole number");
    expect(errorsAfter((_, s) => (s.duration = "30"))["steps.0.fault.duration"]).toMatch(/not a duration/);
    expect(errorsAfter((_, s) => (s.duration = "1.5s"))["steps.0.fault.duration"]).toMatch(/not a duration/);
    expect(errorsAfter((_, s) => (s.duration = ""))).toEqual({});
    expect(errorsAfter((_, s) => (s.interval = "ten"))["steps.0.fault.interval"]).toMatch(/not a duration/);
    expect(errorsAfter((_, s) => (s.interval = "250ms"))).toEqual({});
  });

  it("checks the fault's parameters are whole numbers, where its type shows them", () => {
    expect(errorsAfter((_, s) => (s.gracePeriodSeconds = "2.5"))["steps.0.fault.params.gracePeriodSeconds"]).toBe("a whole number");
    const scaler = (replicas: string) =>
      errorsAfter((_, s) => Object.assign(s, { faultType: "pod-autoscaler", kind: "Deployment", replicas, selector: "", targetName: "web" }));
    expect(scaler("x")["steps.0.fault.params.replicas"]).toBe("a whole number");
    expect(scaler("3")).toEqual({});
    // a field its type does not show (or send) is not judged
    expect(errorsAfter((_, s) => Object.assign(s, { faultType: "node-cordon", kind: "Node", gracePeriodSeconds: "x", interval: "x" }))).toEqual({});
  });

  it("checks the target's namespace, label selector and value", () => {
    expect(errorsAfter((_, s) => (s.namespace = ""))["steps.0.fault.target.namespace"]).toBe("required");
    expect(errorsAfter((_, s) => (s.namespace = "Demo"))["steps.0.fault.target.namespace"]).toMatch(/lowercase/);
    expect(errorsAfter((_, s) => Object.assign(s, { faultType: "node-cordon", kind: "Node", namespace: "" }))).toEqual({});
    expect(errorsAfter((_, s) => (s.selector = "app in (web"))["steps.0.fault.target.selector"]).toMatch(/parentheses/);
    expect(errorsAfter((_, s) => Object.assign(s, { mode: "fixed", value: "two" }))["steps.0.fault.target.value"]).toBe("a whole number");
    expect(errorsAfter((_, s) => Object.assign(s, { mode: "one", value: "two" }))).toEqual({});
  });

  it("checks probes: names, required settings of their type, syntax of run properties", () => {
    expect(withProbe(() => {})).toEqual({});
    expect(withProbe((p) => (p.name = "Up!"))["steps.0.probes.0.name"]).toMatch(/lowercase/);
    expect(withProbe((p) => (p.http.url = ""))["steps.0.probes.0.http.url"]).toBe("required");
    expect(withProbe((p) => (p.http.url = "ftp://x"))["steps.0.probes.0.http.url"]).toMatch(/http/);
    expect(withProbe((p) => (p.http.expectStatus = "2xx"))["steps.0.probes.0.http.expectStatus"]).toBe("a whole number");
    expect(withProbe((p) => Object.assign(p, { type: "k8s", k8s: { ...p.k8s, apiVersion: "", operation: "count", count: "1.5" } }))).toEqual({
      "steps.0.probes.0.k8s.apiVersion": "required, e.g. v1 or apps/v1",
      "steps.0.probes.0.k8s.count": "a whole number",
    });
    expect(withProbe((p) => Object.assign(p, { type: "prom", prom: { ...p.prom, comparator: { criteria: "", value: "" } } }))).toEqual({
      "steps.0.probes.0.prom.endpoint": "required",
      "steps.0.probes.0.prom.query": "required",
      "steps.0.probes.0.prom.comparator.criteria": "required",
    });
    expect(withProbe((p) => Object.assign(p, { type: "cmd", cmd: { ...p.cmd, command: "\n  \n" } }))).toEqual({
      "steps.0.probes.0.cmd.command": "name the program to run, e.g. sh (one argument per line)",
      "steps.0.probes.0.cmd.image": "required",
    });
    expect(withProbe((p) => (p.interval = "2"))["steps.0.probes.0.runProperties.interval"]).toMatch(/not a duration/);
    expect(withProbe((p) => (p.timeout = "soon"))["steps.0.probes.0.runProperties.timeout"]).toMatch(/not a duration/);
    expect(withProbe((p) => (p.attempts = "1.5"))["steps.0.probes.0.runProperties.attempts"]).toBe("a whole number");
    expect(withProbe((p) => (p.initialDelay = "soon"))["steps.0.probes.0.runProperties.initialDelay"]).toMatch(/not a duration/);
  });

  it("checks a network fault's parameters: the required ones with the server's words, and syntax", () => {
    const net = (change: Partial<StepForm>) => errorsAfter((_, s) => Object.assign(s, change));
    const at = (field: string) => `steps.0.fault.params.${field}`;
    expect(net({ faultType: "network-delay" })).toEqual({ [at("latency")]: "required for network-delay: a duration such as 100ms" });
    expect(net({ faultType: "network-delay", latency: "100", jitter: "a bit", correlation: "high" })).toEqual({
      [at("latency")]: '"100" is not a duration such as 30s, 5m, 1h or 1m30s',
      [at("jitter")]: '"a bit" is not a duration such as 30s, 5m, 1h or 1m30s',
      [at("correlation")]: "a number",
    });
    expect(net({ faultType: "network-delay", latency: "100ms", jitter: "10ms", correlation: "12.5" })).toEqual({});
    for (const type of ["network-loss", "network-duplicate", "network-corrupt"] as const) {
      expect(net({ faultType: type })).toEqual({ [at("percent")]: `required for ${type}: a percentage above 0, at most 100` });
      expect(net({ faultType: type, percent: "30%" })).toEqual({ [at("percent")]: "a number" });
      expect(net({ faultType: type, percent: "0.5" })).toEqual({});
    }
    expect(net({ faultType: "network-rate" })).toEqual({ [at("rate")]: "required for network-rate: a bandwidth such as 1mbit or 500kbit" });
    expect(net({ faultType: "network-rate", rate: "1 Mbit/s" })).toEqual({ [at("rate")]: '"1 Mbit/s" is not a bandwidth such as 1mbit, 500kbit or 2gbit' });
    expect(net({ faultType: "network-rate", rate: "500kbit" })).toEqual({});
  });

  it("checks destinations where the fault takes them", () => {
    const dest = (faultType: StepForm["faultType"], d: Partial<StepForm["destinations"]>, more: Partial<StepForm> = {}) =>
      errorsAfter((_, s) => Object.assign(s, { faultType, percent: "10", ...more, destinations: { ...s.destinations, ...d } }));
    const at = (field: string) => `steps.0.fault.params.destinations.${field}`;
    expect(dest("network-loss", { ports: "80, 443 8080", podsSelector: "app=db", podsNamespace: "data", cidrs: "10.0.0.0/8" })).toEqual({});
    expect(dest("network-loss", { ports: "80, -1", podsSelector: "app in (db", podsNamespace: "Data" })).toEqual({
      [at("ports")]: '"-1" is not a port number',
      [at("pods.namespace")]: "lowercase letters, digits and '-', starting and ending with a letter or digit",
      [at("pods.selector")]: "the parentheses do not match",
    });
    // not shown (nor sent) for network-rate, nor for a NetworkPolicy partition
    expect(dest("network-rate", { ports: "http" }, { rate: "1mbit" })).toEqual({});
    expect(dest("network-partition", { ports: "http" }, { mechanism: "network-policy" })).toEqual({});
    expect(dest("network-partition", { ports: "http" })).toEqual({ [at("ports")]: '"http" is not a port number' });
  });

  it("checks the syntax of the network faults' percentages and latency; their bounds are the server's", () => {
    const net = (change: Partial<StepForm>) => errorsAfter((_, s) => Object.assign(s, change));
    const at = (field: string) => `steps.0.fault.params.${field}`;
    expect(net({ faultType: "network-loss", percent: "half", correlation: "x" })).toEqual({ [at("percent")]: "a number", [at("correlation")]: "a number" });
    expect(net({ faultType: "network-delay", latency: "11 s" })).toEqual({ [at("latency")]: '"11 s" is not a duration such as 30s, 5m, 1h or 1m30s' });
    // out of bounds, and the server's validator says so (validateWorkflow)
    expect(net({ faultType: "network-loss", percent: "0", correlation: "101" })).toEqual({});
    expect(net({ faultType: "network-delay", latency: "11s" })).toEqual({});
    expect(net({ faultType: "network-delay", latency: "0ms" })).toEqual({});
  });

  describe("the node agent's container, stress, disk, DNS and HTTP faults", () => {
    const agent = (faultType: StepForm["faultType"], change: Partial<StepForm> = {}) => errorsAfter((_, s) => Object.assign(s, { faultType, ...change }));
    const at = (field: string) => `steps.0.fault.params.${field}`;

    it("container-kill: the container's name and a known signal", () => {
      expect(agent("container-kill")).toEqual({});
      expect(agent("container-kill", { container: "app", signal: "SIGTERM" })).toEqual({});
      expect(agent("container-kill", { container: "App_1", signal: "9" })).toEqual({
        [at("container")]: "lowercase letters, digits and '-', starting and ending with a letter or digit",
        [at("signal")]: '"9" is not one of SIGKILL, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2',
      });
    });

    it("pod-cpu-stress and node-cpu-stress: cores and load are whole numbers; their bounds are the server's", () => {
      for (const type of ["pod-cpu-stress", "node-cpu-stress"] as const) {
        const nodes = type === "node-cpu-stress" ? { kind: "Node" as const } : {};
        expect(agent(type, nodes)).toEqual({});
        expect(agent(type, { ...nodes, cores: "64", load: "1" })).toEqual({});
        expect(agent(type, { ...nodes, cores: "two", load: "50.5" })).toEqual({ [at("cores")]: "a whole number", [at("load")]: "a whole number" });
        expect(agent(type, { ...nodes, cores: "0", load: "101" })).toEqual({});
        expect(agent(type, { ...nodes, cores: "65" })).toEqual({});
      }
      expect(agent("pod-cpu-stress", { container: "-app" })).toEqual({ [at("container")]: expect.stringMatching(/lowercase/) });
    });

    it("the memory faults and disk-fill: a size is a quantity, a percent a number; which one and how much are the server's", () => {
      for (const type of ["pod-memory-stress", "node-memory-stress", "disk-fill"] as const) {
        for (const ok of ["1Mi", "64Gi", "500M", "1048576", "2G"]) expect(agent(type, { size: ok }), ok).toEqual({});
        expect(agent(type, { size: "1.5Gi" })).toEqual({ [at("size")]: '"1.5Gi" is not a size such as 64Mi or 1Gi' });
        expect(agent(type, { size: "64 MB" })).toEqual({ [at("size")]: '"64 MB" is not a size such as 64Mi or 1Gi' });
        expect(agent(type, { percent: "12.5" })).toEqual({});
        expect(agent(type, { percent: "half" })).toEqual({ [at("percent")]: "a number" });
        // neither, both, or out of range: the server's validator says so
        expect(agent(type)).toEqual({});
        expect(agent(type, { size: "1Gi", percent: "50" })).toEqual({});
        expect(agent(type, { size: "512Ki" })).toEqual({});
        expect(agent(type, { size: "65Gi" })).toEqual({});
        expect(agent(type, { percent: "0" })).toEqual({});
      }
      expect(agent("disk-fill", { size: "1Gi", containerPath: "data" })).toEqual({ [at("path")]: `"data" is not an absolute path (starting with '/')` });
      expect(agent("disk-fill", { size: "1Gi", containerPath: "/data" })).toEqual({});
      expect(agent("disk-fill", { size: "1Gi", containerPath: "/var/../etc" })).toEqual({});
    });

    it("pod-io-stress: whole workers, an optional size and directory", () => {
      expect(agent("pod-io-stress")).toEqual({});
      expect(agent("pod-io-stress", { workers: "16", size: "1Gi", containerPath: "/scratch" })).toEqual({});
      expect(agent("pod-io-stress", { workers: "1.5", size: "1 Gi", containerPath: "scratch" })).toEqual({
        [at("workers")]: "a whole number",
        [at("size")]: '"1 Gi" is not a size such as 64Mi or 1Gi',
        [at("path")]: expect.stringMatching(/not an absolute path/),
      });
      expect(agent("pod-io-stress", { workers: "17", size: "10", containerPath: "/" + "a".repeat(1024) })).toEqual({});
    });

    it("dns-error: names or wildcards", () => {
      const dns = (names: string) => agent("dns-error", { dns: { names, answers: "" } });
      expect(dns("")).toEqual({ [at("dns.names")]: "required for dns-error: the names it applies to" });
      expect(dns("api.example.com, *.example.org internal_svc.local.")).toEqual({});
      expect(dns("api.example.com, exa mple")).toEqual({});
      expect(dns("api.example.com, *example.org")).toEqual({ [at("dns.names")]: '"*example.org" is not a DNS name or a wildcard such as *.example.com' });
      expect(dns("a..b")).toEqual({ [at("dns.names")]: '"a..b" is not a DNS name or a wildcard such as *.example.com' });
      // how many is the server's to judge
      expect(dns(Array.from({ length: 65 }, (_, i) => `n${i}.example`).join(","))).toEqual({});
    });

    it("dns-spoof: lines of name=IPv4 address", () => {
      const dns = (answers: string) => agent("dns-spoof", { dns: { names: "", answers } });
      expect(dns("")).toEqual({ [at("dns.answers")]: "required for dns-spoof: the names it applies to" });
      expect(dns("api.example.com=10.0.0.1\n\n *.example.org = 192.168.1.254 ")).toEqual({});
      expect(dns("api.example.com 10.0.0.1")).toEqual({ [at("dns.answers")]: '"api.example.com 10.0.0.1" is not name=address' });
      expect(dns("api.example.com=10.0.0.256")).toEqual({ [at("dns.answers")]: '"10.0.0.256" is not an IPv4 address' });
      expect(dns("api.example.com=fd00::1")).toEqual({ [at("dns.answers")]: '"fd00::1" is not an IPv4 address' });
      expect(dns("bad name=10.0.0.1")).toEqual({ [at("dns.answers")]: '"bad name" is not a DNS name or a wildcard such as *.example.com' });
      expect(dns("a.example=10.0.0.1\na.example=10.0.0.2")).toEqual({ [at("dns.answers")]: '"a.example" is given twice' });
      expect(dns(Array.from({ length: 65 }, (_, i) => `n${i}.example=10.0.0.1`).join("\n"))).toEqual({});
    });

    it("the HTTP faults: a port, method, path, status and headers of the right form; bounds and what each needs are the server's", () => {
      const http = (faultType: StepForm["faultType"], h: Partial<StepForm["http"]>, more: Partial<StepForm> = {}) =>
        agent(faultType, { http: { port: "", method: "", path: "", status: "", body: "", headers: "", ...h }, ...more });
      for (const type of ["http-latency", "http-abort", "http-status", "http-modify"] as const) {
        expect(http(type, {})[at("http.port")]).toBe(`required for ${type}: at least the port`);
        expect(http(type, { port: "http" })[at("http.port")]).toBe("a whole number");
        expect(http(type, { port: "70000" })[at("http.port")]).toBeUndefined();
        expect(http(type, { port: "80", method: "get", path: "api/v1" })).toMatchObject({
          [at("http.method")]: '"get" is not a method such as GET (upper case)',
          [at("http.path")]: `"api/v1" is not a path starting with '/' (no spaces)`,
        });
        expect(http(type, { port: "80", path: "/a b" })[at("http.path")]).toBe(`"/a b" is not a path starting with '/' (no spaces)`);
      }
      expect(http("http-abort", { port: "80", method: "DELETE", path: "/api" })).toEqual({});
      expect(http("http-latency", { port: "80" })).toEqual({ [at("latency")]: "required for http-latency: a duration such as 200ms" });
      expect(http("http-latency", { port: "80" }, { latency: "2 m" })).toEqual({ [at("latency")]: '"2 m" is not a duration such as 30s, 5m, 1h or 1m30s' });
      expect(http("http-latency", { port: "80" }, { latency: "2m" })).toEqual({});
      expect(http("http-status", { port: "80" })).toEqual({ [at("http.status")]: "required for http-status: a status code such as 503" });
      expect(http("http-status", { port: "80", status: "5xx" })).toEqual({ [at("http.status")]: "a whole number" });
      expect(http("http-status", { port: "80", status: "600", body: "x".repeat(65537) })).toEqual({});
      expect(http("http-status", { port: "80", status: "503", body: "busy" })).toEqual({});
      expect(http("http-modify", { port: "80" })).toEqual({});
      expect(http("http-modify", { port: "80", headers: "X-Chaos: on\nVia:" })).toEqual({});
      expect(http("http-modify", { port: "80", body: "{}" })).toEqual({});
      expect(http("http-modify", { port: "80", headers: "X Chaos: on" })).toEqual({ [at("http.headers")]: '"X Chaos" is not a header name' });
      expect(http("http-modify", { port: "80", headers: "X-Chaos" })).toEqual({ [at("http.headers")]: '"X-Chaos" is not Name: value' });
      expect(http("http-modify", { port: "80", headers: "X-A: 1\nX-A: 2" })).toEqual({ [at("http.headers")]: '"X-A" is given twice' });
      expect(http("http-modify", { port: "80", headers: `X-A: ${"v".repeat(4097)}` })).toEqual({});
      const many = Array.from({ length: 33 }, (_, i) => `X-${i}: v`).join("\n");
      expect(http("http-modify", { port: "80", headers: many })).toEqual({});
    });

    it("checks no parameter the type does not take", () => {
      const everything: Partial<StepForm> = { container: "Bad_Name", cores: "x", load: "x", size: "x", percent: "x", workers: "x", containerPath: "x", signal: "x" };
      expect(agent("container-kill", { ...everything, container: "app", signal: undefined })).toEqual({});
      expect(agent("dns-error", { ...everything, dns: { names: "a.example", answers: "junk" } })).toEqual({});
      expect(agent("node-cpu-stress", { ...everything, cores: "1", load: "1", kind: "Node" })).toEqual({});
    });
  });

  it("leaves ranges, limits and rules across fields to the server", () => {
    // each of these is wrong, and the server's validator says so with its limit
    expect(
      errorsAfter((f, s) => {
        Object.assign(f, { description: "x".repeat(2000), schedule: "61 * * * *", timeZone: "Mars/Olympus", runHistoryLimit: "5000", startingDeadlineSeconds: "0" });
        Object.assign(s, { weight: "5000", interval: "0s", gracePeriodSeconds: "99999", kind: "Node", mode: "fixed-percent", value: "150", dependsOn: ["kill-pods", "ghost"] });
        f.steps.push({ ...newStep("kill-pods", "demo"), selector: "" });
      }),
    ).toEqual({});
    expect(withProbe((p) => Object.assign(p, { timeout: "0s", attempts: "0", http: { ...p.http, expectStatus: "99" } }))).toEqual({});
    expect(
      withProbe((p) => Object.assign(p, { type: "prom", prom: { endpoint: "http://prom:9090", query: "up", comparator: { type: "int", criteria: "contains", value: "1.5" } } })),
    ).toEqual({});
  });
});

describe("helpers", () => {
  it("parses durations", () => {
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1d")).toBeNull();
    expect(parseDuration("")).toBeNull();
  });

  it("judges schedules alone", () => {
    expect(scheduleError("")).toBeNull();
    expect(scheduleError("0 0 L * *")).toBeNull();
    expect(scheduleError("99 * * * *")).toBeNull();
  });

  it("names DNS label errors", () => {
    expect(dnsLabelError("web-1")).toBeNull();
    expect(dnsLabelError("")).toBe("required");
    expect(dnsLabelError("Web")).toMatch(/lowercase/);
  });
});

describe("fieldOfMessage", () => {
  const form = valid();
  form.steps[0].probes = [{ ...newProbe("web-up"), http: { ...newProbe("x").http, url: "http://x/" } }];
  form.steps.push({ ...newStep("scale", "demo"), faultType: "pod-autoscaler", kind: "Deployment", targetName: "web", replicas: "1" });

  it("maps index paths from the API server", () => {
    expect(fieldOfMessage('ChaosWorkflow.chaoscenter.io "x" is invalid: spec.steps[0].fault.duration: Invalid value: "x"', form)).toBe(
      "steps.0.fault.duration",
    );
    expect(fieldOfMessage("spec.steps[1].fault.params.replicas: required for pod-autoscaler", form)).toBe("steps.1.fault.params.replicas");
    expect(fieldOfMessage("spec.maxDuration: Invalid value", form)).toBe("maxDuration");
  });

  it("maps name paths from the operator", () => {
    expect(fieldOfMessage("spec.steps[scale].fault.target.kind: pod-autoscaler needs Deployment or StatefulSet", form)).toBe(
      "steps.1.fault.target.kind",
    );
    expect(fieldOfMessage("spec.steps[kill-pods].probes[web-up].http.url: not a URL", form)).toBe("steps.0.probes.0.http.url");
    expect(fieldOfMessage("spec.steps[kill-pods].dependsOn: unknown step", form)).toBe("steps.0.dependsOn");
  });

  it("maps blocks and deeper paths to the field that stands for them", () => {
    expect(fieldOfMessage("spec.steps[0].fault.target: a target needs a selector or a name", form)).toBe("steps.0.fault.target.selector");
    expect(fieldOfMessage("spec.steps[0].fault.target.selector.matchLabels: bad", form)).toBe("steps.0.fault.target.selector");
    expect(fieldOfMessage("spec.steps[0].dependsOn[0]: bad", form)).toBe("steps.0.dependsOn");
    expect(fieldOfMessage("yaml: metadata.name is required", form)).toBe("name");
  });

  it("maps the validator's field paths", () => {
    expect(fieldOfMessage("spec.steps[0].probes[0].runProperties.timeout", form)).toBe("steps.0.probes.0.runProperties.timeout");
    expect(fieldOfMessage("spec.steps[0].fault.target.selector.matchExpressions[0].operator", form)).toBe("steps.0.fault.target.selector");
    expect(fieldOfMessage("spec.steps[0].fault.target.selector.matchLabels[app.kubernetes.io/name]", form)).toBe("steps.0.fault.target.selector");
    expect(fieldOfMessage("spec.steps[1].dependsOn[0]", form)).toBe("steps.1.dependsOn");
    expect(fieldOfMessage("spec.steps", form)).toBe("steps");
    expect(fieldOfMessage("spec.steps[0].probes", form)).toBe("steps.0.probes");
  });

  it("maps the validator's paths into a network fault's parameters and destinations", () => {
    const net = valid();
    Object.assign(net.steps[0], { faultType: "network-delay", latency: "100ms" });
    net.steps.push({ ...newStep("thin", "demo"), faultType: "network-rate", rate: "1bit" });
    net.steps.push({ ...newStep("policy", "demo"), faultType: "network-partition", mechanism: "network-policy" });
    const at = (message: string) => fieldOfMessage(message, net);
    expect(at('spec.steps[0].fault.params.jitter: "200ms" is more than the latency (100ms)')).toBe("steps.0.fault.params.jitter");
    expect(at("spec.steps[0].fault.params.correlation: 120 is not a percentage from 0 to 100")).toBe("steps.0.fault.params.correlation");
    expect(at('spec.steps[0].fault.params.destinations.cidrs[1]: "10.0.0.300" is not an address')).toBe("steps.0.fault.params.destinations.cidrs");
    expect(at("spec.steps[0].fault.params.destinations.hosts[0]: not a host name")).toBe("steps.0.fault.params.destinations.hosts");
    expect(at("spec.steps[0].fault.params.destinations.ports: icmp has no ports")).toBe("steps.0.fault.params.destinations.ports");
    expect(at("spec.steps[0].fault.params.destinations.ports[2]: 70000 is not a port from 1 to 65535")).toBe("steps.0.fault.params.destinations.ports");
    expect(at("spec.steps[0].fault.params.destinations.pods.selector.matchLabels[app]: bad")).toBe("steps.0.fault.params.destinations.pods.selector");
    expect(at("spec.steps[0].fault.params.destinations.pods: x")).toBe("steps.0.fault.params.destinations.pods.selector");
    expect(at("spec.steps[0].fault.params.destinations: names no peer, port or protocol")).toBe("steps.0.fault.params.destinations.cidrs");
    expect(at('spec.steps[thin].fault.params.rate: "1bit" is outside 8kbit to 100gbit')).toBe("steps.1.fault.params.rate");
    expect(at("spec.steps[policy].fault.params.mechanism: x")).toBe("steps.2.fault.params.mechanism");
    // parameters the step's type (or mechanism) does not take are not shown: their messages are listed apart
    expect(at("spec.steps[thin].fault.params.destinations: not used by network-rate; remove it")).toBeNull();
    expect(at("spec.steps[thin].fault.params.latency: not used by network-rate; remove it")).toBeNull();
    expect(at("spec.steps[policy].fault.params.destinations: not used by mechanism network-policy")).toBeNull();
    expect(at("spec.steps[0].fault.params.percent: not used by network-delay; remove it")).toBeNull();
  });

  it("maps the validator's paths into the DNS and HTTP faults' blocks", () => {
    const f = valid();
    Object.assign(f.steps[0], { faultType: "dns-error" });
    f.steps.push({ ...newStep("spoof", "demo"), faultType: "dns-spoof" });
    f.steps.push({ ...newStep("rewrite", "demo"), faultType: "http-modify" });
    f.steps.push({ ...newStep("reset", "demo"), faultType: "http-abort" });
    f.steps.push({ ...newStep("fill", "demo"), faultType: "disk-fill" });
    const at = (message: string) => fieldOfMessage(message, f);
    expect(at("spec.steps[0].fault.params.dns: required for dns-error: the names it applies to")).toBe("steps.0.fault.params.dns.names");
    expect(at('spec.steps[0].fault.params.dns.names[1]: "a..b" is not a DNS name')).toBe("steps.0.fault.params.dns.names");
    expect(at("spec.steps[spoof].fault.params.dns: required for dns-spoof: the names it applies to")).toBe("steps.1.fault.params.dns.answers");
    expect(at('spec.steps[spoof].fault.params.dns.answers.api.example.com: "x" is not an IPv4 address')).toBe("steps.1.fault.params.dns.answers");
    expect(at('spec.steps[spoof].fault.params.dns.answers.*.example.org: "x" is not an IPv4 address')).toBe("steps.1.fault.params.dns.answers");
    expect(at("spec.steps[rewrite].fault.params.http: http-modify needs body or headers")).toBe("steps.2.fault.params.http.body");
    expect(at("spec.steps[rewrite].fault.params.http: required for http-modify: at least the port")).toBe("steps.2.fault.params.http.port");
    expect(at("spec.steps[rewrite].fault.params.http.headers.X-Chaos: not a header name")).toBe("steps.2.fault.params.http.headers");
    expect(at("spec.steps[reset].fault.params.http.port: 0 is outside 1 to 65535")).toBe("steps.3.fault.params.http.port");
    expect(at("spec.steps[fill].fault.params.percent: give size or percent, not both")).toBe("steps.4.fault.params.percent");
    expect(at("spec.steps[fill].fault.params.path: x")).toBe("steps.4.fault.params.path");
    expect(at("spec.steps[fill].fault.params.size: \"65Gi\" is outside 1Mi to 64Gi")).toBe("steps.4.fault.params.size");
    expect(at("spec.steps[rewrite].fault.params.http.body: at most 65536 bytes")).toBe("steps.2.fault.params.http.body");
    expect(at("spec.steps[rewrite].fault.params.http.headers: at most 32 headers")).toBe("steps.2.fault.params.http.headers");
    expect(at("spec.steps[0].fault.params.dns.names: 1 to 64 names")).toBe("steps.0.fault.params.dns.names");
    // what the type does not take is not shown
    expect(at("spec.steps[reset].fault.params.http.status: not used by http-abort; remove it")).toBeNull();
    expect(at("spec.steps[0].fault.params.dns.answers: not used by dns-error; remove it")).toBeNull();
    expect(at("spec.steps[spoof].fault.params.dns.names: not used by dns-spoof; remove it")).toBeNull();
    expect(at("spec.steps[fill].fault.params.workers: not used by disk-fill; remove it")).toBeNull();
  });

  it("maps the validator's bounds of the node agent's faults to their fields", () => {
    const f = valid();
    Object.assign(f.steps[0], { faultType: "pod-cpu-stress" });
    f.steps.push({ ...newStep("io", "demo"), faultType: "pod-io-stress" });
    f.steps.push({ ...newStep("teapot", "demo"), faultType: "http-status" });
    f.steps.push({ ...newStep("slow", "demo"), faultType: "http-latency" });
    f.steps.push({ ...newStep("mem", "demo"), faultType: "node-memory-stress", kind: "Node" });
    const at = (message: string) => fieldOfMessage(message, f);
    expect(at("spec.steps[0].fault.params.cores: 65 is outside 1 to 64")).toBe("steps.0.fault.params.cores");
    expect(at("spec.steps[0].fault.params.load: 101 is outside 1 to 100")).toBe("steps.0.fault.params.load");
    expect(at("spec.steps[io].fault.params.workers: 17 is outside 1 to 16")).toBe("steps.1.fault.params.workers");
    expect(at("spec.steps[io].fault.params.path: \"/a/../b\" is not an absolute path without '..' (at most 1024 characters)")).toBe("steps.1.fault.params.path");
    expect(at("spec.steps[teapot].fault.params.http.status: 600 is outside 100 to 599")).toBe("steps.2.fault.params.http.status");
    expect(at("spec.steps[teapot].fault.params.http.port: 70000 is outside 1 to 65535")).toBe("steps.2.fault.params.http.port");
    expect(at("spec.steps[slow].fault.params.latency: \"2m\" is more than the limit of 1m")).toBe("steps.3.fault.params.latency");
    expect(at("spec.steps[mem].fault.params.size: required for node-memory-stress: an amount such as 64Mi, or percent instead")).toBe(
      "steps.4.fault.params.size",
    );
    expect(at("spec.steps[mem].fault.params.percent: 0 is not a percentage above 0, at most 100")).toBe("steps.4.fault.params.percent");
  });

  it("maps nothing it cannot place", () => {
    expect(fieldOfMessage("forbidden: you may not", form)).toBeNull();
    expect(fieldOfMessage("spec.steps[ghost].fault.duration: x", form)).toBeNull();
    expect(fieldOfMessage("spec: is not valid", form)).toBeNull();
    expect(fieldOfMessage("spec.steps[0]: x", form)).toBeNull();
    // fields the form does not show now: not their block's or list's field either
    expect(fieldOfMessage("spec.steps[0].fault.target.value: not used by mode all", form)).toBeNull();
    expect(fieldOfMessage("spec.steps[0].fault.params.replicas: not used by pod-delete", form)).toBeNull();
    expect(fieldOfMessage("spec.steps[0].probes[0].k8s: set, but the probe's type is http", form)).toBeNull();
    expect(fieldOfMessage("spec.suspend: x", form)).toBeNull();
    expect(fieldOfMessage("spec.suspend: x", { ...form, schedule: "@daily" })).toBe("suspend");
  });
});
