import { describe, expect, it } from "vitest";
import { analyzeCommand } from "../src/shell/command-checks.js";
import { MODELLED_PROGRAMS } from "../src/shell/programs.js";

describe("every program model", () => {
  it.each(MODELLED_PROGRAMS.map((p) => [p]))("%s: its option table compiles and ordinary words never throw", (p) => {
    for (const args of ["", " x", " -- x", " $X", " -x y z", " --help"]) {
      expect(() => analyzeCommand(`${p}${args}`, { possibleFiles: true }), `${p}${args}`).not.toThrow();
    }
  });
});
