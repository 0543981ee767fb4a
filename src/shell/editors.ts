import { fieldHead, fieldText, isConcreteField } from "./fields.js";
import type { Invocation, Model, Runner } from "./invocation.js";

/**
 * Editors read and write the files they open; their command options
 * (`vim -c CMD`, `+CMD`, `--cmd`, `-S FILE`, `-u VIMRC`, `-s SCRIPTIN`,
 * `-w`/`-W`, ex mode) run editor commands, which can run programs (`:!`),
 * so they are refused.
 */
function vim(inv: Invocation): void {
  const run: Runner = inv.run;
  const files = [];
  for (let k = 0; k < inv.args.length; k++) {
    const f = inv.args[k]!;
    if (!isConcreteField(f)) {
      if (fieldHead(f) === "" || /^[-+]/.test(fieldHead(f))) run.uncertain(`\`${inv.name}\` with an option only known at run time`);
      files.push(f);
      continue;
    }
    const t = fieldText(f);
    if (t === "--") {
      files.push(...inv.args.slice(k + 1));
      break;
    }
    if (
      t.startsWith("+") ||
      /^-(c|S|u|U|s|w|W|e|E|x|T|i|-cmd|-servercmd|-remote.*|-startuptime)$/.test(t) ||
      t.startsWith("--cmd") ||
      /^-[A-Za-z]*[cSusWwEe]/.test(t)
    ) {
      run.uncertain(`\`${inv.name} ${t}\` runs editor commands (which can run programs); open the file without it`);
    }
    if (t.startsWith("-")) continue;
    files.push(f);
  }
  for (const f of files) {
    run.file("read", f, inv.bases);
    run.file("write", f, inv.bases);
  }
}

function nano(inv: Invocation): void {
  for (const f of inv.args) {
    if (/^[-+]/.test(fieldHead(f))) continue;
    inv.run.file("read", f, inv.bases);
    inv.run.file("write", f, inv.bases);
  }
}

export const EDITORS: Record<string, Model> = { vim, vi: vim, nvim: vim, view: vim, vimdiff: vim, ex: vim, gvim: vim, nano, pico: nano };
