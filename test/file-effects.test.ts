import { describe, expect, it } from "vitest";
import { analyzeCommand } from "../src/index.js";
import { engineFromText } from "./helpers.js";

// One resource model: a file rule governs the file whichever tool touches it.
const POLICY = `
cwd: /repo
rules:
  - id: no-dotenv
    action: file.*
    path: "**/.env"
    effect: deny
    reason: "Secrets live in .env"
  - id: read-repo
    action: file.read
    path: "/repo/**"
    effect: allow
  - id: write-tmp
    action: [file.write, file.delete]
    path: "/tmp/**"
    effect: allow
  - id: tools
    action: shell.execute
    command: ["cat *", "grep *", "head *", "tail *", "less *", "cp *", "mv *", "tee *", "sed *", "rm *", "sort *", "awk *", "wc *"]
    effect: allow
`;

describe("commands that name files also need the file actions they imply", async () => {
  const e = await engineFromText(POLICY);
  it.each([
    ["cat .env", "deny", "no-dotenv"],
    ["cat ./config/../.env", "deny", "no-dotenv"],
    ["grep KEY .env", "deny", "no-dotenv"],
    ["grep -e KEY .env", "deny", "no-dotenv"],
    ["grep -r KEY src/.env", "deny", "no-dotenv"],
    ["head -n 5 .env", "deny", "no-dotenv"],
    ["tail -f /repo/app/.env", "deny", "no-dotenv"],
    ["awk '{print}' .env", "deny", "no-dotenv"],
    ["sort -o /tmp/x .env", "deny", "no-dotenv"],
    ["cp .env /tmp/leak", "deny", "no-dotenv"],
    ["mv /tmp/a .env", "deny", "no-dotenv"],
    ["tee .env", "deny", "no-dotenv"],
    ["sed -i s/a/b/ .env", "deny", "no-dotenv"],
    ["rm .env", "deny", "no-dotenv"],
    ["less < .env", "deny", "no-dotenv"],
    ["cat README.md", "allow", "tools"],
    ["grep TODO src/index.ts", "allow", "tools"],
    ["cp src/a.ts /tmp/a.ts", "allow", "tools"],
    ["sed -n 1,5p src/a.ts", "allow", "tools"],
    ["sed -i s/a/b/ src/a.ts", "deny", null],
    ["rm /tmp/x", "allow", "tools"],
    ["rm src/a.ts", "deny", null],
    ["cat /etc/passwd", "deny", null],
    ["wc -l src/*.ts", "deny", null],
    ["cat $FILE", "deny", null],
  ])("%j (cwd /repo) → %s", (command, want, rule) => {
    const d = e.check({ action: "shell.execute", command });
    expect(d.decision).toBe(want);
    expect(d.rule).toBe(rule);
  });

  it("the same deny stops the file tools themselves", () => {
    expect(e.check({ action: "file.read", path: ".env" }).rule).toBe("no-dotenv");
    expect(e.check({ action: "file.write", path: "/repo/.env" }).rule).toBe("no-dotenv");
  });

  it("says which implied file decided", () => {
    expect(e.check({ action: "shell.execute", command: "cat README.md .env" }).reason).toBe("Secrets live in .env (file.read /repo/.env (implied by the command))");
  });
});

describe("file effects of common commands", () => {
  it.each([
    ["cp -r a b c/", { reads: ["a", "b"], writes: ["c/"], deletes: [] }],
    ["cp -t dest a b", { reads: ["a", "b"], writes: ["dest"], deletes: [] }],
    ["mv a b", { reads: ["a"], writes: ["b"], deletes: ["a"] }],
    ["tee -a log1 log2", { reads: [], writes: ["log1", "log2"], deletes: [] }],
    ["grep -f pats.txt file", { reads: ["file"], writes: [], deletes: [] }],
    ["head -5 x", { reads: ["x"], writes: [], deletes: [] }],
    ["sort -o /etc/cron.d/x in.txt", { reads: ["in.txt"], writes: ["/etc/cron.d/x"], deletes: [] }],
    ["sort --output=out.txt in.txt", { reads: ["in.txt"], writes: ["out.txt"], deletes: [] }],
    ["cat - x", { reads: ["x"], writes: [], deletes: [] }],
    ["cat x > /dev/null", { reads: ["x"], writes: [], deletes: [] }],
  ])("%s", (cmd, fx) => {
    const r = analyzeCommand(cmd);
    expect(r.ok && { reads: r.analysis.reads, writes: r.analysis.writes, deletes: r.analysis.deletes }).toEqual(fx);
  });
});
