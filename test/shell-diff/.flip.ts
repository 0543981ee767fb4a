import { readFileSync, writeFileSync } from "node:fs";
import { gating } from "./bounded.js";
import { KNOWN_FILE } from "./corpus.js";
import { Harness } from "./harness.js";

export async function main(): Promise<number> {
  const h = new Harness(6);
  await h.init();
  const cases = JSON.parse(readFileSync(KNOWN_FILE(), "utf8"));
  try {
    for (const c of cases) {
      const lines = [c.line, ...(c.seeds ?? [])];
      const rs = await Promise.all(lines.map((l: string) => h.check(l)));
      const bad = rs.filter((r) => gating(r).length > 0);
      c.diverges = bad.length > 0;
      if (bad.length) console.log("STILL", c.id, bad.map((r) => JSON.stringify(r.line) + " :: " + JSON.stringify(r.engine).slice(0, 300) + " :: " + gating(r).map((d) => `${d.shell} ${d.kind} ${d.shellDid}`).join(" ; ")).join("\n    "));
    }
  } finally {
    h.dispose();
  }
  if (process.argv.includes("--write")) writeFileSync(KNOWN_FILE(), JSON.stringify(cases, null, 2) + "\n");
  console.log(cases.filter((c: { diverges: boolean }) => c.diverges).length, "of", cases.length, "still diverge");
  return 0;
}
