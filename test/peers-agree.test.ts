import { describe, expect, it } from "vitest";
import { createEngine, loadPolicy, normalizeRequest } from "../src/index.js";
// @ts-expect-error: plain JS module of the benchmark, no types
import { allSubjects, casbinEngine, cedarEngine, peerView } from "./bench/peer-engines.mjs";
import { keyedFloor, makeTable } from "./bench/tables.js";

type Subjects = unknown[];
type Check = (s: Subjects) => boolean;

// The table benchmark compares engines only if they decide alike; this keeps that
// true in every CI run, on small versions of every table (the full sizes run in
// `npm run bench`, which stops on a disagreement too). Casbin is left out of the
// worst-case table: its regexMatch backtracks for minutes on one ~64 KB line.
describe("safeclaw, Cedar, Casbin and the floor decide every benchmark table alike", () => {
  it.each([
    ["keyed", 50, 2000],
    ["keyed-regex", 30, 2000],
    ["unkeyed", 40, 2000],
    ["shared-key", 40, 2000],
    ["overlap", 64, 2000],
    ["overlap", 1000, 300], // long unless clauses (the broad denies yield to ~125 allows each)
    ["worst", 100, 20],
  ] as const)("%s (%i rules)", async (name, n, count) => {
    const table = makeTable(name, n, count);
    const loaded = await loadPolicy([{ name: `${name}.yaml`, text: table.yaml }]);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 2)));
    const engine = createEngine(loaded.policy);
    const peers: [string, Check][] = [["cedar", allSubjects(cedarEngine(table, `test-${name}`))]];
    if (name !== "worst") peers.push(["casbin", allSubjects(await casbinEngine(table, "cjs"))]);
    if (name === "keyed") {
      const f = keyedFloor(n);
      peers.push(["floor", allSubjects((s: { action: string; value: string }) => f(s.action, s.value))]);
    }
    let given = 0;
    const ours: boolean[] = [];
    const differ: unknown[] = [];
    for (const req of table.requests) {
      const allowed = engine.check(req).allowed;
      ours.push(allowed);
      const v = peerView(table, normalizeRequest, req) as { skip?: string; subjects?: Subjects };
      if (!v.subjects) continue;
      given++;
      for (const [peer, check] of peers) if (check(v.subjects) !== allowed) differ.push({ peer, req, safeclaw: allowed });
    }
    expect(differ.slice(0, 5)).toEqual([]);
    expect(given).toBeGreaterThan(table.requests.length * 0.9);
    expect(ours.filter(Boolean).length).toBeGreaterThan(0);
    expect(ours.filter((x) => !x).length).toBeGreaterThan(0);
  });
});
