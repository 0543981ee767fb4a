import { describe, expect, it } from "vitest";
import { MemoryStateStore } from "../src/approval/memory-state-store.js";
import { StateUnavailableError } from "../src/approval/state-store.js";
import { approval, floodUntilRefused, stateStoreContract } from "./state-store-contract.js";

const T0 = 1_700_000_000_000;

stateStoreContract("memory", () => new MemoryStateStore());

describe("the in-process store's bounds", () => {
  it("holds at most 32 MiB of pending approvals: past it a new one is refused (state unavailable), decided ones make room", async () => {
    const s = new MemoryStateStore();
    const big = "x".repeat(60_000);
    const { made, refused } = await floodUntilRefused(s);
    expect(refused).toBeInstanceOf(StateUnavailableError);
    expect(made).toBeGreaterThan(500);
    expect(made).toBeLessThan(600);
    // rejecting half makes room again
    const page = await s.listApprovals({ limit: 100, status: "pending" }, T0);
    for (const a of page.approvals) await s.transition(a.id, "pending", { status: "rejected" });
    await expect(s.createApproval(approval({ requestHash: "f".repeat(64), request: { action: "shell.execute", command: big } }), T0)).resolves.toMatchObject({
      created: true,
    });
  });
});
