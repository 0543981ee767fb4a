import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { discoverPolicyFiles, PolicyFilesError } from "../src/runtime/node/policy-files.js";

/**
 * Which files a directory gives as its policy (safeclaw validate / check /
 * serve / build without a file argument). The rule: project files first, then
 * .safeclaw/policies/, then YAML/JSON files that look like a policy; files that
 * are never policies are skipped by name; a file that might be a policy is
 * read rather than skipped, since a skipped file could drop a deny rule.
 */
const RULES = "rules:\n- action: file.read\n  path: /app/**\n  effect: allow\n";

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "safeclaw-discover-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const names = (dir: string) => {
  const found = discoverPolicyFiles(dir);
  return { files: found.files.map((f) => f.slice(dir.length + 1)), ignored: found.ignored.map((i) => i.file.slice(dir.length + 1)) };
};

const NODE_PROJECT = {
  "package.json": '{"name": "agent", "version": "1.0.0", "rules": ["not ours"]}',
  "package-lock.json": '{"name": "agent", "lockfileVersion": 3, "version": "1"}',
  "tsconfig.json": '{"compilerOptions": {"strict": true}}',
  "tsconfig.build.json": '{"extends": "./tsconfig.json"}',
  ".eslintrc.json": '{"rules": {"no-console": "off"}}',
  "docker-compose.yml": 'version: "3.8"\nservices:\n  web: {image: nginx}\n',
};

describe("policy discovery in a directory", () => {
  it.each<[string, Record<string, string>, string[], string[]]>([
    ["a project file wins over everything else", { "safeclaw.config.yaml": RULES, "other.yaml": RULES, ...NODE_PROJECT }, ["safeclaw.config.yaml"], []],
    ["safeclaw.config.json is a project file too", { "safeclaw.config.json": '{"rules": []}', "package.json": "{}" }, ["safeclaw.config.json"], []],
    [
      ".safeclaw/policies/ is read whole, file-name order",
      { ".safeclaw/policies/b.yaml": RULES, ".safeclaw/policies/a.yml": "audit: {sink: stdout}\n", "x.yaml": RULES },
      [".safeclaw/policies/a.yml", ".safeclaw/policies/b.yaml"],
      [],
    ],
    [
      "a ConfigMap mount: policy files in, other files out",
      { "policy.yaml": RULES, "audit.yaml": "audit: {sink: stdout}\n", "notes.json": '{"owner": "sec"}' },
      ["audit.yaml", "policy.yaml"],
      ["notes.json"],
    ],
    [
      "a Node project with a policy file under another name",
      { ...NODE_PROJECT, "agent-policy.yaml": RULES },
      ["agent-policy.yaml"],
      ["docker-compose.yml", "package-lock.json", "package.json", "tsconfig.build.json", "tsconfig.json"],
    ],
    [
      "version: 1 and defaultAction mark a policy",
      { "a.yaml": "version: 1\n", "b.yaml": "defaultAction: deny\n", "c.yaml": "version: 2\n" },
      ["a.yaml", "b.yaml"],
      ["c.yaml"],
    ],
    [
      "a ConfigMap manifest with policy files in its data",
      { "cm.yaml": `kind: ConfigMap\ndata:\n  safeclaw.policy.yaml: |\n    ${RULES.replace(/\n/g, "\n    ")}`, "deploy.yaml": "kind: Deployment\nspec: {}\n" },
      ["cm.yaml"],
      ["deploy.yaml"],
    ],
  ])("%s", (_note, files, wanted, ignored) => {
    expect(names(dirWith(files))).toEqual({ files: wanted, ignored });
  });

  it("a Node project with no policy: an error that says where it looked and what it ignored, never package.json as a policy", () => {
    const dir = dirWith(NODE_PROJECT);
    expect(() => discoverPolicyFiles(dir)).toThrow(PolicyFilesError);
    expect(() => discoverPolicyFiles(dir)).toThrow(
      /no policy found. Looked for safeclaw.config.yaml, .*\.safeclaw\/policies\/.*ignored docker-compose.yml \(no policy keys\), package-lock.json \(a package, lock or tool config file\), package.json/,
    );
    expect(() => discoverPolicyFiles(dir)).toThrow(/safeclaw init/);
  });

  // Leaving a file out can drop a deny rule: anything that might be a policy is read, so it fails loudly.
  it.each<[string, Record<string, string>]>([
    ["a policy with a YAML syntax error is read, not skipped", { "deny-secrets.yaml": "rules:\n- action: file.read\n  path: [unclosed\n  effect: deny\n" }],
    ["a JSON policy with a syntax error is read, not skipped", { "deny.json": '{"rules": [' }],
    [
      "a policy made of a billion-laughs alias bomb is read (and refused by validation), not skipped",
      {
        "bomb.yaml":
          "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
      },
    ],
  ])("%s", (_note, files) => {
    expect(names(dirWith(files)).files).toEqual(Object.keys(files));
  });

  // A policy whose top-level key is misspelled has no rules at all: skipping it would drop its denies without a word.
  it.each(["rule", "Rules", "rulse", "default_action", "defaultaction", "audits"])(
    "a file whose top-level key is the misspelling `%s:` is read (and fails validation), not skipped",
    (key) => {
      const files = { "deny-secrets.yaml": `${key}:\n- action: file.read\n  path: "**/.env"\n  effect: deny\n`, "allow-all.yaml": "defaultAction: allow\n" };
      expect(names(dirWith(files)).files).toEqual(["allow-all.yaml", "deny-secrets.yaml"]);
    },
  );

  it("a file named explicitly is read whatever its name", () => {
    const dir = dirWith({ "package.json": "{}" });
    expect(discoverPolicyFiles(join(dir, "package.json")).files).toEqual([join(dir, "package.json")]);
  });

  it("a missing target is an error naming it", () => {
    expect(() => discoverPolicyFiles("/nonexistent/safeclaw")).toThrow("/nonexistent/safeclaw: no such file or directory");
  });
});
