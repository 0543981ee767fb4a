import { describe, expect, it } from "vitest";
import { engineFromText, errorsOf } from "./helpers.js";

/** False denies down: real command lines that only run allowed commands on allowed files are allowed. */
const DEV = `
version: 1
defaultAction: deny
rules:
  - id: tools
    action: shell.execute
    command: ["git *", "cat *", "ls", "ls *", "mkdir *", "cp *", "cd *", "npm test"]
    effect: allow
  - id: repo
    action: [file.read, file.write]
    path: "/app/**"
    effect: allow
`;

describe("lines agents write are allowed when every part is", async () => {
  const e = await engineFromText(DEV);
  it.each([
    [
      "Claude Code's commit message through a quoted here-document",
      `git commit -m "$(cat <<'EOF'\nfeat: add the thing\n\nIt does this; and that (see #12).\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nEOF\n)"`,
    ],
    ["the same with an unquoted delimiter and no expansions", `git commit -m "$(cat <<EOF\nfix: a\nEOF\n)"`],
    ["cd into a literal directory, then a relative path", "cd src && cat a.ts"],
    ["brace expansion", "mkdir -p src/{a,b}"],
    ["brace expansion of a backup copy", "cp a.txt{,.bak}"],
    ["a trusted directory names the same program", "/usr/bin/git status"],
    ["line continuations between words", "git log \\\n  --oneline \\\n  -5"],
    ["comments", "git status # what changed"],
    ["redirection to /dev/null and fd duplication", "git status >/dev/null 2>&1"],
    ["&> at the end", "git status &>/dev/null"],
  ])("%s", (_what, command) => {
    const d = e.check({ action: "shell.execute", command, cwd: "/app" });
    expect(d.reason).toBe(d.reason);
    expect(d.decision, d.reason).toBe("allow");
  });

  it("the commit message is the exact argument git gets", async () => {
    const strict = await engineFromText(`rules:\n- {action: shell.execute, command: "git commit -m fix: a", effect: allow}`);
    expect(strict.check({ action: "shell.execute", command: `git commit -m "$(cat <<'EOF'\nfix: a\n\nEOF\n)"` }).decision).toBe("allow");
  });

  it("but not what only looks alike", () => {
    for (const command of [
      "./git status",
      "/tmp/git status",
      "/usr/bin/../../tmp/git status",
      "git status; rm x",
      `git commit -m "$(cat <<EOF\n$(rm -rf /)\nEOF\n)"`,
      "cd /etc && cat passwd",
    ]) {
      expect(e.check({ action: "shell.execute", command, cwd: "/app" }).decision, command).toBe("deny");
    }
  });
});

describe("commandPaths: the directories whose programs are their bare names", () => {
  it("defaults to the system directories only root can write", async () => {
    const e = await engineFromText(`rules:\n- {action: shell.execute, command: "git *", effect: allow}`);
    for (const p of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", "//usr/bin", "/usr/bin/."]) {
      expect(e.check({ action: "shell.execute", command: `${p}/git status` }).decision, p).toBe("allow");
    }
    for (const p of [".", "/tmp", "/home/me/bin", "bin", "/usr/bin/.."]) {
      expect(e.check({ action: "shell.execute", command: `${p}/git status` }).decision, p).toBe("deny");
    }
  });

  it("a policy can replace the list", async () => {
    const e = await engineFromText(`commandPaths: [/opt/tools/bin]\nrules:\n- {action: shell.execute, command: "git *", effect: allow}`);
    expect(e.check({ action: "shell.execute", command: "/opt/tools/bin/git status" }).decision).toBe("allow");
    expect(e.check({ action: "shell.execute", command: "/usr/bin/git status" }).decision).toBe("deny");
  });

  it("a deny on the bare name still catches a program anywhere", async () => {
    const e = await engineFromText(
      `rules:\n- {id: no-rm, action: shell.execute, command: "rm *", effect: deny}\n- {action: shell.execute, command: "*", effect: allow}`,
    );
    expect(e.check({ action: "shell.execute", command: "/tmp/rm -rf /x" }).rule).toBe("no-rm");
  });

  it("is validated", () => {
    expect(errorsOf("commandPaths: usr/bin\nrules: []")[0]?.message).toMatch(/list of absolute directories/);
    expect(errorsOf("commandPaths: [bin]\nrules: []")[0]?.message).toMatch(/absolute directory/);
    expect(errorsOf("commandPaths: [/usr/*/bin]\nrules: []")[0]?.message).toMatch(/glob/);
  });
});

describe("shell.allowAssignments: environment assignments a policy allows", () => {
  const policy = `
shell:
  allowAssignments: ["GIT_PAGER=cat", "NODE_ENV", "CI=1", "PATH=*", "GIT_SSH_COMMAND=*", "LD_PRELOAD"]
rules:
  - {action: shell.execute, command: ["git *", "npm *"], effect: allow}
`;
  it.each([
    ["GIT_PAGER=cat git log", "allow"],
    ["GIT_PAGER=less git log", "deny"],
    ["GIT_PAGER='sh -c x' git log", "deny"],
    ["NODE_ENV=test npm test", "allow"],
    ["NODE_ENV=$X npm test", "deny"],
    ["CI=1 NODE_ENV=production npm run build", "allow"],
    ["CI=2 npm test", "deny"],
    ["UNKNOWN=1 git log", "deny"],
    ["PATH=/tmp:$PATH git log", "deny"],
    ["LD_PRELOAD=/tmp/x.so git log", "deny"],
    ["GIT_SSH_COMMAND='sh -c x' git fetch", "deny"],
    ["env GIT_PAGER=cat git log", "deny"],
    ["env LD_PRELOAD=/tmp/x.so git log", "deny"],
    ["export PATH=/tmp; git log", "deny"],
  ])("%j → %s", async (command, want) => {
    const e = await engineFromText(policy);
    const d = e.check({ action: "shell.execute", command });
    // run-time values are uncertain until the engine decides them: still a deny
    expect(d.decision, d.reason).toBe(want);
  });

  it("entries are validated", () => {
    expect(errorsOf("shell: {allowAssignments: ['1X=2']}\nrules: []")[0]?.message).toMatch(/NAME=VALUE/);
    expect(errorsOf("shell: {allowAssignments: x}\nrules: []")[0]?.message).toMatch(/must be a list/);
    expect(errorsOf("shell: {allowed: []}\nrules: []")[0]?.message).toMatch(/unknown key/);
  });
});
