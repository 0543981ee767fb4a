import { type Field, fieldText, isConcreteField, literalField, unknownField, cwdField } from "./fields.js";
import type { Invocation, Model, Runner } from "./invocation.js";

/**
 * tar: creating reads the named files (and everything under them), listing
 * and extracting read the archive, extracting writes under the target
 * directory; every word is also checked as a possible file (`tar cf - .env`).
 * Options that run programs (`--checkpoint-action`, `--to-command`,
 * `-I`/`--use-compress-program`, `--rsh-command`, `-F`/`--info-script`,
 * `--new-volume-script`, `--rmt-command`) and remote archives (`host:file`)
 * are refused; long options are matched by prefix, as tar matches them.
 */
const RUNS = ["checkpoint-action", "to-command", "use-compress-program", "rsh-command", "info-script", "new-volume-script", "rmt-command", "index-file"];

function tar(inv: Invocation): void {
  const run: Runner = inv.run;
  const args = inv.args;
  let mode: "c" | "x" | "t" | "other" = "other";
  let archive: Field | undefined;
  let dir: Field | undefined;
  const files: Field[] = [];
  const forceLocal = args.some((f) => isConcreteField(f) && fieldText(f) === "--force-local");
  for (let k = 0; k < args.length; k++) {
    const f = args[k]!;
    if (!isConcreteField(f)) {
      if (k === 0 || typeof f.t[0] !== "string" || f.t[0].startsWith("-"))
        run.uncertain("`tar` with an option only known at run time (it could run a program)");
      files.push(f);
      continue;
    }
    const t = fieldText(f);
    if (t.startsWith("--")) {
      const eq = t.indexOf("=");
      const name = (eq < 0 ? t : t.slice(0, eq)).slice(2);
      if (name.length >= 2 && RUNS.some((r) => r.startsWith(name) && r !== "index-file"))
        run.uncertain(`\`tar --${name}\` runs a program the engine cannot see`);
      if (/^(create|extract|get|list|append|update|catenate|concatenate|delete|diff|compare)$/.test(name))
        mode = name === "create" ? "c" : name === "list" ? "t" : name === "extract" || name === "get" ? "x" : "other";
      const value = eq >= 0 ? literalField(t.slice(eq + 1)) : undefined;
      if (name === "file") archive = value ?? args[++k];
      else if (name === "directory") dir = value ?? args[++k];
      else if (name === "files-from" || name === "exclude-from") {
        const v = value ?? args[++k];
        if (v) run.file("read", v, inv.bases);
        if (name === "files-from") run.file("read", unknownField("the files a list names"), inv.bases, { tree: true });
      }
      continue;
    }
    const cluster = t.startsWith("-") ? t.slice(1) : k === 0 ? t : undefined;
    if (cluster === undefined) {
      files.push(f);
      continue;
    }
    // `-cvf x.tar`, old style `cvf x.tar`: value-taking letters take the next words in order
    for (let c = 0; c < cluster.length; c++) {
      const ch = cluster[c]!;
      if (ch === "I" || ch === "F") run.uncertain(`\`tar -${ch}\` runs a program the engine cannot see`);
      if ("cxtruAd".includes(ch)) mode = ch === "c" ? "c" : ch === "x" ? "x" : ch === "t" ? "t" : "other";
      if ("fCTXgKNVbHLs".includes(ch) && ch !== "s") {
        const attached = t.startsWith("-") && c < cluster.length - 1 ? literalField(cluster.slice(c + 1)) : undefined;
        const v = attached ?? args[++k];
        if (ch === "f") archive = v;
        else if (ch === "C") dir = v;
        else if ((ch === "T" || ch === "X") && v) {
          run.file("read", v, inv.bases);
          if (ch === "T") run.file("read", unknownField("the files a list names"), inv.bases, { tree: true });
        }
        if (attached) break;
      }
    }
  }
  if (archive && isConcreteField(archive) && /^[^/]*:/.test(fieldText(archive)) && !forceLocal)
    run.uncertain("`tar -f HOST:FILE` opens a remote archive through rsh/ssh; use --force-local for a local file with `:`");
  const bases = dir ? run.chdir(inv.bases, dir) : inv.bases;
  const archiveIsStream = !archive || (isConcreteField(archive) && fieldText(archive) === "-");
  if (mode === "c") {
    if (archive && !archiveIsStream) run.file("write", archive, inv.bases);
    for (const f of files) run.file("read", f, bases, { tree: true });
  } else if (mode === "x") {
    if (archive && !archiveIsStream) run.file("read", archive, inv.bases);
    run.file("write", cwdField(), bases, { tree: true });
  } else if (mode === "t") {
    if (archive && !archiveIsStream) run.file("read", archive, inv.bases);
  } else {
    if (archive && !archiveIsStream) {
      run.file("read", archive, inv.bases);
      run.file("write", archive, inv.bases);
    }
    for (const f of files) run.file("read", f, bases, { tree: true });
  }
  run.possibleFiles(files, bases);
}

export const TAR: Record<string, Model> = { tar };
