import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { BlockList, isIPv6 } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import dockerignoreModule from "@balena/dockerignore";
import ts from "typescript";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../src/policy/parse-policy.js";

const ROOT = new URL("../", import.meta.url).pathname;
const read = (p: string) => readFileSync(ROOT + p, "utf8");
const has = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
const CFN_LINT = has("cfn-lint");
const YAMLLINT = has("yamllint");
// Outside CI a missing linter skips its test (visibly); under CI=true it fails the run instead.
if (process.env.CI === "true") {
  if (!CFN_LINT) throw new Error("cfn-lint is not installed, and CI=true: the SAM template cannot go unchecked");
  if (!YAMLLINT) throw new Error("yamllint is not installed (apt-get install yamllint, see .ci/run), and CI=true: the YAML cannot go unchecked");
}

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any; [k: string]: any };
// a CommonJS module whose types declare a default export; `.default` is the factory at run time too
const dockerignore = dockerignoreModule.default;

const K8S_FILES = ["infra/k8s/agent-deployment.yaml", "infra/k8s/network-policy.yaml", "infra/k8s/safeclaw-policy.yaml"];

function manifests(text: string, file: string): K8sObject[] {
  return parseAllDocuments(text).map((d, i) => {
    // duplicate keys and syntax errors would otherwise be dropped silently by toJS()
    if (d.errors.length) throw new Error(`${file} document ${i + 1}: ${d.errors.map((e) => e.message).join("; ")}`);
    return d.toJS() as K8sObject;
  });
}
const objects = K8S_FILES.flatMap((f) => manifests(read(f), f));
const find = (kind: string) => objects.find((o) => o.kind === kind)!;

/** Validates one object with the kubernetes-models class for its apiVersion and kind (their JSON Schemas, Kubernetes 1.3x). */
async function validateK8s(o: K8sObject): Promise<string | null> {
  let mod: Record<string, new (d: unknown) => { validate(): void }>;
  try {
    mod = await import(`kubernetes-models/${o.apiVersion}`);
  } catch {
    return `unknown apiVersion ${o.apiVersion}`;
  }
  const Model = mod[o.kind];
  if (!Model) return `unknown kind ${o.kind} in ${o.apiVersion}`;
  try {
    new Model(o).validate();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Fields Kubernetes does not define pass the JSON Schemas (they allow extra keys),
 * while `kubectl apply` (strict field validation) refuses them. The package's
 * TypeScript types know every field: each object becomes a typed literal, and the
 * compiler's excess-property check names the unknown ones. Returns diagnostics per file.
 */
function unknownFields(files: Record<string, K8sObject[]>): Record<string, string[]> {
  const sources = new Map(
    Object.entries(files).map(([name, objs]) => [
      ROOT + `__k8s_${name}.ts`,
      objs
        .map(
          (o, i) =>
            `import type { I${o.kind} as T${i} } from "kubernetes-models/${o.apiVersion}/${o.kind}";\nexport const o${i}: T${i} = ${JSON.stringify(o)};`,
        )
        .join("\n"),
    ]),
  );
  const host = ts.createCompilerHost({});
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (f, lang, ...rest) => (sources.has(f) ? ts.createSourceFile(f, sources.get(f)!, lang) : getSourceFile.call(host, f, lang, ...rest));
  host.fileExists = (f) => sources.has(f) || fileExists.call(host, f);
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es2022.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  const out: Record<string, string[]> = Object.fromEntries(Object.keys(files).map((n) => [n, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const name = Object.keys(files).find((n) => d.file?.fileName === ROOT + `__k8s_${n}.ts`) ?? "(other)";
    (out[name] ??= []).push(ts.flattenDiagnosticMessageText(d.messageText, " "));
  }
  return out;
}

describe("SAM template", () => {
  // Skipped only when cfn-lint is absent outside CI (under CI=true the top of this file fails instead).
  it.skipIf(!CFN_LINT)("passes cfn-lint", () => {
    const r = spawnSync("cfn-lint", [ROOT + "infra/aws/template.yaml"], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("has what the design promises", () => {
    const t = read("infra/aws/template.yaml");
    expect(t).toMatch(/Runtime: nodejs22\.x/);
    expect(t).toMatch(/ObjectLockEnabled: true/);
    expect(t).toMatch(/Status: Enabled/);
    expect(t).toMatch(/RestrictPublicBuckets: true/);
    expect(t).toMatch(/Action:\n\s+- s3:PutObject\n\s+- s3:GetObject\n\s+Resource: !Sub "\$\{AuditBucket.Arn\}\/audit\/\*"/);
    expect(t).toMatch(
      /Sid: DenyAuditOverwrites\n\s+Effect: Deny\n\s+Principal: "\*"\n\s+Action: s3:PutObject\n[^\n]+audit\/\*"\n\s+Condition:\n\s+"Null":\n\s+s3:if-none-match: "true"/,
    );
    expect(t).toMatch(/LogFormat: JSON/);
    expect(t).toMatch(/Type: HttpApi/);
  });

  it("shares state in one DynamoDB table: key pk, TTL on ttl, the function told its name and allowed only the calls the store makes, on it only", () => {
    const t = read("infra/aws/template.yaml");
    expect(t).toMatch(/StateTable:\n\s+Type: AWS::DynamoDB::Table\n\s+Properties:\n\s+BillingMode: PAY_PER_REQUEST/);
    expect(t).toMatch(/KeySchema:\n\s+- AttributeName: pk\n\s+KeyType: HASH/);
    expect(t).toMatch(/TimeToLiveSpecification:\n\s+AttributeName: ttl\n\s+Enabled: true/);
    expect(t).toMatch(/SAFECLAW_STATE_TABLE: !Ref StateTable/);
    const actions = [...t.matchAll(/- (dynamodb:\w+)/g)].map((m) => m[1]);
    expect(actions).toEqual(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Scan"]);
    expect(t).toMatch(/- dynamodb:Scan\n\s+Resource: !GetAtt StateTable.Arn\n/);
    // the calls in the store's source are exactly those the role allows
    const used = [...read("src/runtime/lambda/dynamodb-state-store.ts").matchAll(/new s\.(\w+)Command\(/g)].map((m) => `dynamodb:${m[1]}`);
    expect([...new Set(used)].sort()).toEqual([...actions].sort());
  });

  it("asks Node for source maps only if the Lambda bundle has one", () => {
    const flag = /^\s*NODE_OPTIONS:.*--enable-source-maps/m.test(read("infra/aws/template.yaml"));
    const map = /^\s*sourcemap:\s*(\S+?),?$/m.exec(read("adapters/lambda/build.mjs"))?.[1] !== "false";
    expect({ flag, map }).toEqual({ flag: false, map: false });
  });
});

describe("Kubernetes manifests", () => {
  it("every object validates against the Kubernetes schemas", async () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(["ConfigMap", "NetworkPolicy", "Secret", "Service", "StatefulSet"]);
    const problems = [];
    for (const o of objects) {
      const p = await validateK8s(o);
      if (p) problems.push(`${o.kind}/${o.metadata.name}: ${p}`);
    }
    expect(problems).toEqual([]);
  });

  it.each<[string, (o: Record<string, any>) => void]>([
    ["containerPort as a string", (s) => (s.spec.template.spec.containers[1].ports[0].containerPort = "9800")],
    ["replicas as a string", (s) => (s.spec.replicas = "3")],
    ["no selector", (s) => delete s.spec.selector],
    ["volumeClaimTemplates as an object", (s) => (s.spec.volumeClaimTemplates = { name: "audit" })],
    ["a container without a name", (s) => delete s.spec.template.spec.containers[1].name],
    ["env value as a number", (s) => (s.spec.template.spec.containers[1].env[0] = { name: "X", value: 1 })],
  ])("a StatefulSet with %s is caught", async (_name, breakIt) => {
    const s = structuredClone(find("StatefulSet"));
    breakIt(s);
    expect(await validateK8s(s)).toMatch(/must be|must have/);
  });

  it("no object has a field Kubernetes does not define (kubectl's strict field validation), and a misspelt one is caught", () => {
    const typo = structuredClone(find("NetworkPolicy"));
    typo.spec.egress[1].to[0].namespaceSelecter = typo.spec.egress[1].to[0].namespaceSelector;
    delete typo.spec.egress[1].to[0].namespaceSelector;
    const extra = structuredClone(find("StatefulSet"));
    extra.spec.template.spec.containers[1].securityContext.readOnlyRootFilesytem = true;
    const r = unknownFields({ manifests: objects, typo: [typo], extra: [extra] });
    expect(r.manifests).toEqual([]);
    expect(r.typo).toEqual([expect.stringMatching(/'"namespaceSelecter"' does not exist in type 'INetworkPolicyPeer'/)]);
    expect(r.extra).toEqual([expect.stringMatching(/'"readOnlyRootFilesytem"' does not exist in type 'ISecurityContext'/)]);
    expect(r["(other)"]).toBeUndefined();
  }, 60_000);

  it("an unknown kind and a duplicated key are caught", async () => {
    expect(await validateK8s({ apiVersion: "apps/v1", kind: "Deploymnet", metadata: { name: "x" } })).toMatch(/unknown kind/);
    expect(() => manifests("kind: Secret\nkind: ConfigMap\n", "dup.yaml")).toThrow(/unique/);
  });

  it("the ConfigMap carries a valid policy and the sidecar probes /health and /ready on 9800", () => {
    const p = parsePolicy([{ name: "safeclaw-policy.yaml", text: read("infra/k8s/safeclaw-policy.yaml") }]);
    expect(p.ok).toBe(true);
    const sidecar = find("StatefulSet").spec.template.spec.containers.find((c: { name: string }) => c.name === "safeclaw");
    expect(sidecar.livenessProbe.httpGet).toEqual({ path: "/health", port: 9800 });
    expect(sidecar.readinessProbe.httpGet).toEqual({ path: "/ready", port: 9800 });
    expect(sidecar.env.map((e: { name: string }) => e.name)).toContain("SAFECLAW_API_TOKENS");
    expect(sidecar.volumeMounts).toContainEqual({ name: "policy", mountPath: "/etc/safeclaw", readOnly: true });
  });

  it("audit: one volume, one file and one chain per pod, written only by the sidecar, signed", () => {
    const set = find("StatefulSet");
    const pod = set.spec.template.spec;
    // no volume shared by the replicas: the audit volume comes from the claim template
    expect(pod.volumes.filter((v: Record<string, unknown>) => "persistentVolumeClaim" in v)).toEqual([]);
    expect(objects.filter((o) => o.kind === "PersistentVolumeClaim")).toEqual([]);
    expect(set.spec.volumeClaimTemplates).toEqual([
      expect.objectContaining({ metadata: { name: "audit" }, spec: expect.objectContaining({ accessModes: ["ReadWriteOnce"] }) }),
    ]);
    expect(set.spec.serviceName).toBe(find("Service").metadata.name);
    const [agent, sidecar] = ["agent", "safeclaw"].map((n) => pod.containers.find((c: { name: string }) => c.name === n));
    expect((agent.volumeMounts ?? []).map((m: { name: string }) => m.name)).not.toContain("audit");
    expect(sidecar.volumeMounts).toContainEqual({ name: "audit", mountPath: "/var/log/safeclaw" });
    const env = sidecar.env as Array<{ name: string; value?: string; valueFrom?: any }>;
    const at = (n: string) => env.findIndex((e) => e.name === n);
    expect(env[at("POD_NAME")]!.valueFrom).toEqual({ fieldRef: { fieldPath: "metadata.name" } });
    // $(POD_NAME) expands only from a variable defined earlier in the list
    expect(env[at("SAFECLAW_AUDIT_SINK")]!.value).toBe("/var/log/safeclaw/$(POD_NAME).audit.log");
    expect(at("POD_NAME")).toBeLessThan(at("SAFECLAW_AUDIT_SINK"));
    expect(env[at("SAFECLAW_ON_AUDIT_FAILURE")]!.value).toBe("deny");
    expect(env[at("SAFECLAW_AUDIT_SIGNING_KEY")]!.valueFrom.secretKeyRef).toEqual({ name: "safeclaw-audit-signing", key: "key" });
  });
});

describe("NetworkPolicy: what the agent pods can reach", () => {
  const np = find("NetworkPolicy");
  type Dest =
    | { ip: string; port: number; protocol?: "TCP" | "UDP" }
    | { pod: { namespace: string; labels: Record<string, string> }; port: number; protocol?: "TCP" | "UDP" };
  const labelsMatch = (sel: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) =>
    Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const inBlock = (ip: string, cidr: string) => {
    const [net, bits] = cidr.split("/");
    const l = new BlockList();
    const family = isIPv6(net!) ? "ipv6" : "ipv4";
    l.addSubnet(net!, Number(bits), family);
    return (isIPv6(ip) ? "ipv6" : "ipv4") === family && l.check(ip, family);
  };
  /** NetworkPolicy egress semantics: a rule allows when one of its peers and one of its ports match; rules add up. */
  function egressAllowed(d: Dest): boolean {
    const proto = d.protocol ?? "TCP";
    return np.spec.egress.some((rule: any) => {
      const portOk = !rule.ports || rule.ports.some((p: any) => (p.protocol ?? "TCP") === proto && (p.port === undefined || p.port === d.port));
      const peerOk =
        !rule.to ||
        rule.to.some((peer: any) => {
          if (peer.ipBlock) return "ip" in d && inBlock(d.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inBlock(d.ip, c));
          if (!("pod" in d)) return false;
          // a namespace carries only its automatic label here: kubernetes.io/metadata.name
          const nsOk = peer.namespaceSelector
            ? labelsMatch(peer.namespaceSelector, { "kubernetes.io/metadata.name": d.pod.namespace })
            : d.pod.namespace === np.metadata.namespace;
          return nsOk && labelsMatch(peer.podSelector, d.pod.labels);
        });
      return portOk && peerOk;
    });
  }
  const kubeDns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };

  it.each<[string, boolean, Dest]>([
    ["HTTPS to a public API address", true, { ip: "162.159.140.245", port: 443 }],
    ["HTTPS to a public IPv6 address", true, { ip: "2606:4700::6810:84e5", port: 443 }],
    ["DNS over UDP to kube-dns", true, { pod: kubeDns, port: 53, protocol: "UDP" }],
    ["DNS over TCP to kube-dns", true, { pod: kubeDns, port: 53, protocol: "TCP" }],
    ["any port to a pod in its own namespace", true, { pod: { namespace: "ai-agents", labels: { app: "vector-db" } }, port: 6333 }],
    ["exfiltration over plain HTTP", false, { ip: "203.0.113.7", port: 80 }],
    ["SMTP out", false, { ip: "203.0.113.7", port: 25 }],
    ["DNS tunnelling to an outside resolver", false, { ip: "8.8.8.8", port: 53, protocol: "UDP" }],
    ["port 53 to another kube-system pod", false, { pod: { namespace: "kube-system", labels: { app: "metrics-server" } }, port: 53, protocol: "UDP" }],
    ["a pod in another namespace", false, { pod: { namespace: "payments", labels: { app: "api" } }, port: 8080 }],
    ["cloud credentials from IMDS over HTTPS", false, { ip: "169.254.169.254", port: 443 }],
    ["cloud credentials from IMDS over HTTP", false, { ip: "169.254.169.254", port: 80 }],
    ["the ECS/EKS credential agent", false, { ip: "169.254.170.2", port: 443 }],
    ["Alibaba Cloud metadata", false, { ip: "100.100.100.200", port: 443 }],
    ["AWS IMDS over IPv6", false, { ip: "fd00:ec2::254", port: 443 }],
    ["GCP metadata over IPv6", false, { ip: "fd20:ce::254", port: 443 }],
    ["an IPv6 link-local address", false, { ip: "fe80::1", port: 443 }],
  ])("%s: allowed=%s", (_attempt, allowed, dest) => {
    expect(egressAllowed(dest)).toBe(allowed);
  });

  it("restricts egress only, and selects the agent pods", () => {
    expect(np.spec.policyTypes).toEqual(["Egress"]);
    expect(np.spec.podSelector).toEqual({ matchLabels: find("StatefulSet").spec.template.metadata.labels });
  });
});

describe("container image", () => {
  const ig = dockerignore().add(read(".dockerignore"));
  const tracked = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).trim().split("\n");
  const context = tracked.filter((f) => !ig.ignores(f));

  it.each([
    "node_modules/hono/package.json",
    "adapters/fly/node_modules/x/index.js",
    ".git/config",
    "dist/index.js",
    "build/policy-bundle.json",
    "coverage/index.html",
    ".env",
    "src/.env.local",
    ".dev.vars",
    "test/ocsf.test.ts",
  ])("%s stays out of the build context", (p) => expect(ig.ignores(p)).toBe(true));

  it("the context holds what the Dockerfile builds from", () => {
    for (const f of [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "bin/safeclaw.js",
      "examples/safeclaw.config.yaml",
      "src/index.ts",
    ])
      expect(context, f).toContain(f);
    expect(tracked.filter((f) => f.startsWith("src/") && ig.ignores(f))).toEqual([]);
  });

  // The image's build stage (npm ci, npm run build, build:bundle) run on exactly the files the
  // context would hold; `npm ci` is replaced by this checkout's node_modules (no registry in tests).
  it("its build stage builds the bundle it serves from that context", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-image-"));
    for (const f of context) {
      if (!existsSync(ROOT + f)) continue;
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      copyFileSync(ROOT + f, join(dir, f));
    }
    symlinkSync(ROOT + "node_modules", join(dir, "node_modules"));
    const env = { ...process.env, SAFECLAW_POLICY: "examples/safeclaw.config.yaml" };
    execFileSync("npm", ["run", "--silent", "build"], { cwd: dir, env, stdio: "pipe" });
    execFileSync("npm", ["run", "--silent", "build:bundle"], { cwd: dir, env, stdio: "pipe" });
    // what the final stage copies from the build stage
    for (const f of ["package.json", "dist/index.js", "bin/safeclaw.js", "examples", "build/policy-bundle.json"])
      expect(existsSync(join(dir, f)), f).toBe(true);
    expect(read("adapters/fly/Dockerfile")).toMatch(/serve", "--bundle", "build\/policy-bundle.json"/);
  }, 120_000);

  it("fly.toml serves 9800 with a /health check, auto-stop and the audit volume", () => {
    const f = read("adapters/fly/fly.toml");
    expect(f).toMatch(/internal_port = 9800/);
    expect(f).toMatch(/path = "\/health"/);
    expect(f).toMatch(/auto_stop_machines = "stop"/);
    expect(f).toMatch(/destination = "\/data"/);
    expect(f).toMatch(/SAFECLAW_AUDIT_SINK = "\/data\/audit.log"/);
  });
});

describe("YAML lint", () => {
  // Skipped only when yamllint is absent outside CI (under CI=true the top of this file fails instead).
  it.skipIf(!YAMLLINT)("infra/, adapters/ and examples/ pass yamllint with .yamllint.yaml", () => {
    const r = spawnSync("yamllint", ["-f", "parsable", "-c", ROOT + ".yamllint.yaml", "infra", "adapters", "examples", ".yamllint.yaml"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  // Skipped only when yamllint is absent outside CI, as above.
  it.skipIf(!YAMLLINT)("a duplicated key and trailing spaces are caught", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-yamllint-"));
    writeFileSync(join(dir, "bad.yaml"), "kind: Secret\nkind: ConfigMap \n");
    const r = spawnSync("yamllint", ["-f", "parsable", "-c", ROOT + ".yamllint.yaml", join(dir, "bad.yaml")], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/duplication of key "kind"/);
    expect(r.stdout).toMatch(/trailing spaces/);
  });
});
