import { describe, expect, it } from "vitest";
import { createEngine, loadPolicy } from "../src/index.js";
import { engineFromText } from "./helpers.js";

describe("first match decides, in order", () => {
  it("an earlier allow wins over a later deny and vice versa", async () => {
    const e = await engineFromText(
      "rules:\n- {id: a, action: file.read, path: '/x/**', effect: allow}\n- {id: d, action: file.read, path: '/x/secret', effect: deny}",
    );
    expect(e.check({ action: "file.read", path: "/x/secret" }).rule).toBe("a");
    const f = await engineFromText(
      "rules:\n- {id: d, action: file.read, path: '/x/secret', effect: deny}\n- {id: a, action: file.read, path: '/x/**', effect: allow}",
    );
    expect(f.check({ action: "file.read", path: "/x/secret" }).rule).toBe("d");
  });

  it("wildcard actions cover their namespace; custom actions work", async () => {
    const e = await engineFromText(
      "rules:\n- {id: pay, action: payments.charge, context.amount: {in: [1, 2]}, effect: allow}\n- {id: files, action: 'file.*', path: '/tmp/**', effect: allow}\n- {id: all, action: '*', effect: require_approval}",
    );
    expect(e.check({ action: "file.delete", path: "/tmp/x" }).rule).toBe("files");
    expect(e.check({ action: "payments.charge", context: { amount: 2 } }).decision).toBe("allow");
    expect(e.check({ action: "payments.charge", context: { amount: 500 } }).decision).toBe("require_approval");
    expect(e.check({ action: "env.read", key: "X" })).toMatchObject({ decision: "require_approval", allowed: false });
  });

  it("`ask` is require_approval and is not allowed", async () => {
    const e = await engineFromText("rules:\n- {action: file.write, path: '/**', effect: ask}");
    expect(e.check({ action: "file.write", path: "/a" })).toMatchObject({ decision: "require_approval", allowed: false });
  });

  it("default allow applies only when nothing matched", async () => {
    const e = await engineFromText("defaultAction: allow\nrules:\n- {action: file.read, path: '/etc/**', effect: deny}");
    expect(e.check({ action: "file.read", path: "/etc/x" }).decision).toBe("deny");
    expect(e.check({ action: "file.read", path: "/home/x" })).toMatchObject({
      decision: "allow",
      rule: null,
      reason: "no rule matched; the policy default is allow",
    });
  });
});

describe("requests that cannot be understood are denied, never thrown", async () => {
  const e = await engineFromText("defaultAction: allow\nrules: []");
  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    ["file.read", /JSON object/],
    [42, /JSON object/],
    [{}, /no `action`/],
    [{ action: 7 }, /must be a string/],
    [{ action: "netwrok.request", host: "x" }, /did you mean/],
    [{ action: "file.*", path: "/x" }, /pattern/],
    [{ action: "file.read", path: "/x", host: "y" }, /does not belong/],
    [{ action: "file.read", path: "/x", extra: 1 }, /does not belong/],
    [{ action: "env.read", key: "A=B" }, /not an environment variable name/],
    [{ action: "mcp.call", server: "s" }, /needs `tool`/],
    [{ action: "file.read", path: "/x", context: [] }, /must be an object/],
    [{ action: "file.read", path: "/x", agent: {} }, /must be a string/],
  ])("%j", (req, reason) => {
    const d = e.check(req);
    expect(d).toMatchObject({ decision: "deny", allowed: false, rule: null });
    expect(d.reason).toMatch(reason);
    expect(d.error).toBe("invalid_request");
  });

  it("even with a default of allow, a malformed request is denied", () => {
    expect(e.check({ action: "file.read" }).decision).toBe("deny");
  });
});

describe("schedule and expiresAt", () => {
  it("a rule is skipped outside its schedule, in its time zone", async () => {
    let now = Date.parse("2026-11-23T10:00:00Z"); // Monday 11:00 in Paris
    const e = await engineFromText(
      "rules:\n- id: office\n  action: shell.execute\n  command: 'deploy*'\n  effect: allow\n  schedule:\n    days: [mon, tue, wed, thu, fri]\n    hours: '09:00-17:00'\n    timezone: Europe/Paris",
      { clock: () => now },
    );
    const req = { action: "shell.execute", command: "deploy web" };
    expect(e.check(req).decision).toBe("allow");
    now = Date.parse("2026-11-23T16:30:00Z"); // 17:30 Paris
    expect(e.check(req).decision).toBe("deny");
    now = Date.parse("2026-11-22T10:00:00Z"); // Sunday
    expect(e.check(req).decision).toBe("deny");
  });

  it("a window across midnight belongs to the day it starts", async () => {
    let now = Date.parse("2026-11-24T01:00:00Z"); // Tuesday 01:00 UTC, inside Monday's night window
    const e = await engineFromText("rules:\n- {id: n, action: file.read, path: '/**', effect: allow, schedule: {days: [mon], hours: '22:00-02:00'}}", {
      clock: () => now,
    });
    expect(e.check({ action: "file.read", path: "/a" }).decision).toBe("allow");
    now = Date.parse("2026-11-25T01:00:00Z"); // Wednesday 01:00: Tuesday's window, not scheduled
    expect(e.check({ action: "file.read", path: "/a" }).decision).toBe("deny");
  });

  it("an expired rule no longer matches", async () => {
    let now = Date.parse("2026-06-01T00:00:00Z");
    const e = await engineFromText("rules:\n- {id: t, action: file.read, path: '/**', effect: allow, expiresAt: '2026-07-01T00:00:00Z'}", { clock: () => now });
    expect(e.check({ action: "file.read", path: "/a" }).decision).toBe("allow");
    now = Date.parse("2026-07-01T00:00:00Z");
    expect(e.check({ action: "file.read", path: "/a" }).decision).toBe("deny");
  });
});

describe("rate limits", () => {
  it("per rule shares one budget across agents", async () => {
    const e = await engineFromText("rules:\n- {id: r, action: env.read, key: X, effect: allow, rateLimit: {maxRequests: 2, window: 1h, per: rule}}", {
      clock: () => 0,
    });
    expect(e.check({ action: "env.read", key: "X", agent: "a" }).decision).toBe("allow");
    expect(e.check({ action: "env.read", key: "X", agent: "b" }).decision).toBe("allow");
    expect(e.check({ action: "env.read", key: "X", agent: "c" })).toMatchObject({ decision: "deny", rule: "r" });
  });
});

describe("explain", () => {
  it("lists the rules considered and why each did or did not match", async () => {
    const e = await engineFromText(
      "rules:\n- {id: a, action: file.read, path: '/a/**', effect: allow}\n- {id: b, action: file.read, path: '/b/**', effect: deny}\n- {id: c, action: file.read, path: '/**', effect: allow}",
    );
    const d = e.check({ action: "file.read", path: "/b/x" }, { explain: true });
    expect(d.explain).toEqual([
      {
        subject: "file.read /b/x",
        decision: "deny",
        rule: "b",
        rules: [
          { rule: "a", matched: false, why: "condition on `path` does not hold" },
          { rule: "b", matched: true, why: "all conditions hold; effect deny" },
        ],
      },
    ]);
    expect(e.check({ action: "file.read", path: "/b/x" }).explain).toBeUndefined();
  });
});

describe("digest", () => {
  it("is stable across key order, comments and file names, and changes with the rules", async () => {
    const a = await loadPolicy([{ name: "a.yaml", text: "rules:\n- {id: r, action: file.read, path: /x, effect: allow}" }]);
    const b = await loadPolicy([{ name: "b.yaml", text: "# comment\nrules:\n- effect: allow\n  path: /x\n  action: 'file:read'\n  id: r" }]);
    const c = await loadPolicy([{ name: "a.yaml", text: "rules:\n- {id: r, action: file.read, path: /y, effect: allow}" }]);
    if (!a.ok || !b.ok || !c.ok) throw new Error("load failed");
    expect(a.policy.digest).toBe(b.policy.digest);
    expect(a.policy.digest).not.toBe(c.policy.digest);
    expect(createEngine(a.policy).check({ action: "file.read", path: "/x" }).policy).toBe(a.policy.digest);
  });
});
