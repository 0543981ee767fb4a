import { bench, describe } from "vitest";
import { parseStrictJson } from "../../src/request/strict-json.js";

// The strict parser runs on every HTTP request body: its cost against plain
// JSON.parse on the bodies agents send. `npx vitest bench --run test/bench/strict-json.bench.ts`
const BODIES: Record<string, string> = {
  "file.read (60 B)": JSON.stringify({ action: "file.read", path: "/app/src/index.ts", agent: "ci-bot" }),
  "shell.execute (200 B)": JSON.stringify({
    action: "shell.execute",
    command: "terraform plan -out=tfplan -var-file=prod.tfvars && terraform show -json tfplan | jq '.resource_changes[] | .address'",
    cwd: "/srv/repo",
    agent: "claude-code:4f1c",
    id: "req-1234",
  }),
  "mcp.call with arguments (1.2 KB)": JSON.stringify({
    action: "mcp.call",
    server: "github",
    tool: "create_pull_request",
    agent: "reviewer",
    context: { session: "s-1", turn: 12 },
    arguments: {
      owner: "acme",
      repo: "edge",
      title: 'Fix: the "strict" JSON reader',
      body: "x".repeat(900),
      head: "fix/json",
      base: "main",
      draft: false,
      labels: ["security", "json"],
    },
  }),
  "batch of 100 (7 KB)": JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ action: "file.read", path: `/app/src/file-${i}.ts`, agent: "ci-bot" }))),
};

for (const [name, text] of Object.entries(BODIES)) {
  describe(name, () => {
    bench("JSON.parse", () => {
      JSON.parse(text);
    });
    bench("parseStrictJson", () => {
      parseStrictJson(text);
    });
    // the same body with one duplicate key at the end: what a refusal costs (the slow, exact reader)
    const dup = text.endsWith("}") ? text.slice(0, -1) + ',"agent":"x","agent":"y"}' : text.slice(0, -2) + ',"agent":"x","agent":"y"}]';
    bench("parseStrictJson, refusing a duplicate", () => {
      parseStrictJson(dup);
    });
  });
}
