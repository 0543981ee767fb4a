import { describe, expect, it } from "vitest";
import { decideSubjects } from "../src/engine/evaluate.js";
import { MemoryRateLimitStore } from "../src/engine/rate-limit.js";
import { template, type Hole, type TemplatePart } from "../src/match/template.js";
import type { Subject } from "../src/request/subject.js";
import { engineFromText } from "./helpers.js";

/**
 * Run-time values (issue 10, item 4) on hand-built subjects: the shell parser
 * that will produce them is being rewritten elsewhere. A deny (or
 * require_approval) rule applies when some value may match it, an allow only
 * when every value must; in rule order, the first rule every value matches
 * ends the walk.
 */
const any = (source: string): Hole => ({ hole: "any", source });
const glob = (source = "*"): Hole => ({ hole: "segment", source });

function command(...parts: TemplatePart[]): Subject {
  const t = template(parts);
  return { action: "shell.execute", command: t.map((p) => (typeof p === "string" ? p : p.source)).join(""), templates: { command: t } };
}
function read(...parts: TemplatePart[]): Subject {
  const t = template(parts);
  return { action: "file.read", path: t.map((p) => (typeof p === "string" ? p : p.source)).join(""), templates: { path: t } };
}

async function decider(policy: string) {
  const e = await engineFromText(policy);
  const rateLimits = new MemoryRateLimitStore();
  return (...subjects: Subject[]) => decideSubjects(e.policy, subjects[0]!.action, subjects, { nowMs: Date.now(), rateLimits });
}

describe("commands with run-time values", () => {
  it("`terraform ${X:-destroy}` is denied by a deny on `terraform destroy*` ahead of the allow on `terraform *`", async () => {
    const decide = await decider(`
rules:
  - {id: no-destroy, action: shell.execute, command: "terraform destroy*", effect: deny}
  - {id: terraform, action: shell.execute, command: "terraform *", effect: allow}
`);
    const d = decide(command("terraform ", any("${X:-destroy}")));
    expect(d.decision).toBe("deny");
    expect(d.rule).toBe("no-destroy");
    expect(d.reason).toMatch(/run-time value of `terraform \$\{X:-destroy\}` could match/);
    expect(decide(command("terraform plan ", any("$ARGS"))).decision).toBe("allow");
  });

  it("with the allow first, `terraform ${X:-destroy}` is decided as `terraform destroy` itself is: the deny is shadowed (first match)", async () => {
    const decide = await decider(`
rules:
  - {id: terraform, action: shell.execute, command: "terraform *", effect: allow}
  - {id: no-destroy, action: shell.execute, command: "terraform destroy*", effect: deny}
`);
    const concrete = decide({ action: "shell.execute", command: "terraform destroy" });
    const templated = decide(command("terraform ", any("${X:-destroy}")));
    expect(concrete.rule).toBe("terraform");
    expect(templated.decision).toBe(concrete.decision);
  });

  it("an allow on `terraform plan*` before a deny on `terraform *`: `terraform plan $X` is allowed, `terraform $X` denied", async () => {
    const decide = await decider(`
rules:
  - {id: plan, action: shell.execute, command: "terraform plan*", effect: allow}
  - {id: rest, action: shell.execute, command: "terraform *", effect: deny}
`);
    expect(decide(command("terraform plan ", any("$X")))).toMatchObject({ decision: "allow", rule: "plan" });
    expect(decide(command("terraform ", any("$X")))).toMatchObject({ decision: "deny", rule: "rest" });
    // `terraform plan*` itself covers `terraform planet`, so a hole glued to the word is still covered ...
    expect(decide(command("terraform plan", any("$X"))).decision).toBe("allow");
    // ... but `terraform pla$X` may be `terraform plan` or `terraform plat`: only the deny covers every value.
    expect(decide(command("terraform pla", any("$X"))).rule).toBe("rest");
  });

  it("the default decides when no rule covers every value", async () => {
    const decide = await decider(`
rules:
  - {id: git, action: shell.execute, command: "git status*", effect: allow}
`);
    expect(decide(command("git status ", any("$X"))).decision).toBe("allow");
    const d = decide(command("git ", any("$SUB")));
    expect(d).toMatchObject({ decision: "deny", rule: null });
    expect(d.reason).toMatch(/no rule matches every value `git \$SUB` can take; the policy default is deny/);
  });

  it("deny-by-run-time text: `des$()troy` as a hole in the word is caught by a deny", async () => {
    const decide = await decider(`
rules:
  - {id: no-destroy, action: shell.execute, command: "terraform destroy*", effect: deny}
  - {action: shell.execute, command: "terraform *", effect: allow}
`);
    expect(decide(command("terraform des", any("$()"), "troy")).rule).toBe("no-destroy");
  });

  it("a list of allowed patterns covers a hole that no single one does", async () => {
    const decide = await decider(`
rules:
  - {action: shell.execute, command: ["ls", "ls *"], effect: allow}
`);
    // `ls${X}` could be `lsblk`: not covered.
    expect(decide(command("ls", any("$X"))).decision).toBe("deny");
    // `ls ${X}` and `ls` are: every value is `ls` or starts with `ls `.
    expect(decide(command("ls ", any("$X"))).decision).toBe("allow");
  });

  it("negation swaps may and must", async () => {
    const decide = await decider(`
rules:
  - {action: shell.execute, command: {not: "*rm*"}, effect: allow}
`);
    expect(decide(command("echo ", any("$X"))).decision).toBe("deny"); // $X may be `rm`
    expect(decide(command("echo ", glob("*.txt"))).decision).toBe("deny"); // a glob may expand to `rm.txt`
    expect(decide({ action: "shell.execute", command: "echo hi" }).decision).toBe("allow");
  });

  it("`matches` cannot be decided for a template: it may match and need not", async () => {
    const decide = await decider(`
rules:
  - {id: d, action: shell.execute, command: {matches: "^rm "}, effect: deny}
  - {id: a, action: shell.execute, command: {matches: "^echo "}, effect: allow}
`);
    expect(decide(command("ls ", any("$X"))).rule).toBe("d");
  });
});

describe("paths with run-time values", () => {
  const policy = (order: "deny-first" | "allow-first") => {
    const deny = `  - {id: no-dotenv, action: file.read, path: "**/.env", effect: deny}`;
    const allow = `  - {id: app, action: file.read, path: "/app/**", effect: allow}`;
    return `rules:\n${order === "deny-first" ? `${deny}\n${allow}` : `${allow}\n${deny}`}\n`;
  };

  it("`cat src/*.ts` in /app is allowed by an `/app/**` read rule", async () => {
    for (const order of ["deny-first", "allow-first"] as const) {
      const decide = await decider(policy(order));
      expect(decide(read("/app/src/", glob(), ".ts"))).toMatchObject({ decision: "allow", rule: "app" });
    }
  });

  it("`cat *` in /app is not allowed while `**/.env` could match what `*` expands to (dotglob may be on)", async () => {
    for (const order of ["deny-first", "allow-first"] as const) {
      const decide = await decider(policy(order));
      expect(decide(read("/app/", glob()))).toMatchObject({ decision: "deny", rule: "no-dotenv" });
    }
    // `.*` under the deny-first policy; with the allow first, `/app/src/.env` itself is allowed (the deny is shadowed).
    expect((await decider(policy("deny-first")))(read("/app/src/.", glob())).rule).toBe("no-dotenv");
    expect((await decider(policy("allow-first")))(read("/app/src/.", glob())).rule).toBe("app");
  });

  it("`cat *` in /app with no `.env` deny: a `name` hole (never `.` or `..`) stays inside /app, a `segment` hole may be `..`", async () => {
    const decide = await decider(`rules:\n  - {id: app, action: file.read, path: "/app/**", effect: allow}\n`);
    expect(decide(read("/app/", { hole: "name", source: "*" }))).toMatchObject({ decision: "allow", rule: "app" });
    expect(decide(read("/app/", glob())).decision).toBe("deny");
    // `.*` may expand to `..` (dash does): only a `segment` hole can say so, and then it is not allowed
    expect(decide(read("/app/.", glob())).decision).toBe("deny");
  });

  it("`cat *.md` in /app: `**/.env` cannot match a name ending in `.md`", async () => {
    const decide = await decider(policy("deny-first"));
    expect(decide(read("/app/", glob(), ".md"))).toMatchObject({ decision: "allow", rule: "app" });
  });

  it("an `any` hole can climb out (`/app/$X` may be `/app/../etc/passwd`): never allowed by `/app/**`", async () => {
    const decide = await decider(policy("allow-first"));
    expect(decide(read("/app/", any("$X"))).decision).toBe("deny");
    const open = await decider(`rules:\n  - {action: file.read, path: "/**", effect: allow}\n`);
    expect(open(read("/app/", any("$X"))).decision).toBe("allow");
  });

  it("`..` after a glob is resolved on every branch: `/app/*/../../etc/passwd` is `/etc/passwd`", async () => {
    const decide = await decider(`
rules:
  - {id: etc, action: file.read, path: "/etc/**", effect: deny}
  - {id: app, action: file.read, path: "/app/**", effect: allow}
`);
    expect(decide(read("/app/", glob(), "/../../etc/passwd")).rule).toBe("etc");
  });

  it("a glob segment may be `..`: `/app/*` may be `/`, so `/app/**` does not cover it", async () => {
    const decide = await decider(`rules:\n  - {action: file.read, path: "/app/**", effect: allow}\n`);
    expect(decide(read("/app/", glob())).decision).toBe("deny");
    expect(decide(read("/app/x/", glob(), ".txt")).decision).toBe("allow");
  });

  it("eq, startsWith and endsWith answer for templates too", async () => {
    const decide = await decider(`
rules:
  - {id: exact, action: file.read, path: {eq: /app/README.md}, effect: deny}
  - {id: md, action: file.read, path: {endsWith: .md, startsWith: /app/}, effect: allow}
`);
    expect(decide(read("/app/", glob(), ".md")).rule).toBe("exact"); // `*` may be README
    expect(decide(read("/app/docs/", glob(), ".md"))).toMatchObject({ decision: "allow", rule: "md" });
  });

  it("a path template with a control character in its literal text is uncertain", async () => {
    const decide = await decider(policy("deny-first"));
    expect(decide(read("/app/a\nb/", glob()))).toMatchObject({ decision: "deny", error: "uncertain" });
  });

  it("a template with no hole is its text: exactly first-match", async () => {
    const decide = await decider(policy("allow-first"));
    expect(decide(read("/app/x/../.env"))).toMatchObject({ decision: "allow", rule: "app" });
    expect(decide(read("/etc/../app/.env"))).toMatchObject({ decision: "allow", rule: "app" });
  });
});

describe("files a command may touch (`possible`)", () => {
  const policy = `
rules:
  - {id: no-dotenv, action: file.read, path: "**/.env", effect: deny}
  - {id: app, action: file.read, path: "/app/**", effect: allow}
`;
  it("rules apply first-match; the default does not", async () => {
    const decide = await decider(policy);
    expect(decide({ action: "file.read", path: "/app/.env", possible: true })).toMatchObject({ decision: "deny", rule: "no-dotenv" });
    expect(decide({ action: "file.read", path: "/app/x", possible: true })).toMatchObject({ decision: "allow", rule: "app" });
    const d = decide({ action: "file.read", path: "/etc/hosts", possible: true });
    expect(d).toMatchObject({ decision: "allow", rule: null });
    expect(d.reason).toMatch(/decided by rules only/);
    expect(decide({ action: "file.read", path: "/etc/hosts" }).decision).toBe("deny");
  });

  it("combined with templates: may-match denies, and no default", async () => {
    const decide = await decider(policy);
    expect(decide({ ...read("/srv/", glob()), possible: true }).rule).toBe("no-dotenv");
    expect(decide({ ...read("/srv/", glob(), ".txt"), possible: true }).decision).toBe("allow");
  });

  it("a possible file never hides a deny of the command itself", async () => {
    const decide = await decider(`${policy}  - {action: shell.execute, command: "jq *", effect: deny}\n`);
    expect(decide({ action: "shell.execute", command: "jq -R . x" }, { action: "file.read", path: "/srv/x", possible: true }).decision).toBe("deny");
  });
});

describe("rate limits and explanations for templated subjects", () => {
  it("an allow that decides a templated subject counts against its rate limit", async () => {
    const decide = await decider(`
rules:
  - {id: git, action: shell.execute, command: "git *", effect: allow, rateLimit: {maxRequests: 2, window: 1m, per: rule}}
`);
    const s = command("git log ", any("$X"));
    expect([decide(s).decision, decide(s).decision, decide(s).decision]).toEqual(["allow", "allow", "deny"]);
  });

  it("explain says which rules may and which must match", async () => {
    const e = await engineFromText(`
rules:
  - {id: no-destroy, action: shell.execute, command: "terraform destroy*", effect: deny}
  - {id: terraform, action: shell.execute, command: "terraform *", effect: allow}
  - {id: never, action: shell.execute, command: "kubectl *", effect: allow}
`);
    const d = decideSubjects(e.policy, "shell.execute", [command("terraform ", any("$X"))], { nowMs: Date.now(), explain: true });
    expect(d.explain![0]!.rules).toEqual([
      { rule: "no-destroy", matched: true, why: "matches some values; effect deny takes part" },
      { rule: "terraform", matched: true, why: "matches every value; effect allow" },
    ]);
  });
});

describe("work on run-time values is bounded per decision", () => {
  it("a huge template against many rules is uncertain, not slow", async () => {
    const rules = Array.from({ length: 300 }, (_, i) => `  - {action: shell.execute, command: "tool${i} *x*y*z*", effect: allow}`).join("\n");
    const decide = await decider(`rules:\n${rules}\n`);
    const parts: TemplatePart[] = [any("$CMD")];
    for (let i = 0; i < 2000; i++) parts.push(`w${i} `, any(`$V${i}`));
    const d = decide(command(...parts));
    expect(d).toMatchObject({ decision: "deny", error: "uncertain" });
    expect(d.reason).toMatch(/too costly to check/);
  });
});
