import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { MemoryStateStore, type MemoryStateSnapshot } from "../../approval/memory-state-store.js";
import { ConfigError } from "../runtime-config.js";

/**
 * The Node server's state store: in memory, per machine (a fleet of Fly
 * machines has one set of approvals and limits each; README says so). With
 * SAFECLAW_STATE_FILE the approvals and single-use marks survive a restart:
 * the file is rewritten (write to a temporary file, then rename) after every
 * change, before the answer that made it goes out, so a grant used just
 * before a crash stays used. Rate-limit counters are not kept (a restart
 * starts the windows afresh).
 */
export function nodeStateStore(env: Record<string, string | undefined>): MemoryStateStore {
  const store = new MemoryStateStore();
  const file = env.SAFECLAW_STATE_FILE;
  if (!file) return store;
  let text: string | undefined;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new ConfigError("SAFECLAW_STATE_FILE", `SAFECLAW_STATE_FILE ${file}: ${(e as Error).message}`);
  }
  if (text !== undefined) {
    let snap: MemoryStateSnapshot;
    try {
      snap = JSON.parse(text) as MemoryStateSnapshot;
      if (snap?.v !== 1 || !Array.isArray(snap.approvals) || !Array.isArray(snap.marks)) throw new Error("not a version-1 state snapshot");
    } catch (e) {
      // Starting empty would forget which grants were used: refuse instead.
      throw new ConfigError("SAFECLAW_STATE_FILE", `SAFECLAW_STATE_FILE ${file} cannot be read back (${(e as Error).message}); move it aside to start empty`);
    }
    store.restore(snap);
  }
  mkdirSync(dirname(file), { recursive: true });
  store.onChange = () => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(store.snapshot()));
    renameSync(tmp, file);
  };
  return store;
}
