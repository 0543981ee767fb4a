import { allowsOwnSubjects, engineView, type EngineView } from "./engine-view.js";
import { observe, type ShellView } from "./observe.js";
import { oracle, type OracleView } from "./oracle.js";
import { judge, type Verdict } from "./property.js";
import { Sandbox, SANDBOX_CWD, type RunOptions } from "./sandbox.js";
import { SHELL_NAMES, type ShellName } from "./shims.js";

/** One line through the engine, the oracle and every shell, judged. */
export interface CaseResult {
  line: string;
  engine: EngineView;
  oracle: OracleView;
  views: ShellView[];
  verdict: Verdict;
}

export class Harness {
  readonly sandbox: Sandbox;
  private baseline = new Map<ShellName, Set<string>>();
  private queue: Array<() => void> = [];
  private active = 0;

  constructor(
    readonly parallel = 2,
    readonly shells: readonly ShellName[] = SHELL_NAMES,
    readonly runOptions: RunOptions = {},
  ) {
    this.sandbox = new Sandbox(parallel);
  }

  /** Files each shell opens when it runs `:` are its own start-up, not the line's. */
  async init(): Promise<void> {
    for (const sh of this.shells) {
      const v = observe(await this.sandbox.run(sh, ":"));
      if (v.broken) throw new Error(`shell-diff: ${v.broken}`);
      this.baseline.set(sh, new Set(v.files.map((f) => f.path)));
    }
  }

  dispose(): void {
    this.sandbox.dispose();
  }

  async runShell(shell: ShellName, line: string): Promise<ShellView> {
    await this.slot();
    try {
      return observe(await this.sandbox.run(shell, line, this.runOptions), this.baseline.get(shell));
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  async check(line: string, shells: readonly ShellName[] = this.shells): Promise<CaseResult> {
    const engine = engineView(line, SANDBOX_CWD);
    const orc = await oracle(line);
    const views = engine.refused ? [] : await Promise.all(shells.map((sh) => this.runShell(sh, line)));
    const own = engine.refused ? undefined : await allowsOwnSubjects(line, SANDBOX_CWD, engine);
    return { line, engine, oracle: orc, views, verdict: judge(engine, views, own) };
  }

  private slot(): Promise<void> {
    if (this.active < this.parallel) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((r) => this.queue.push(() => (this.active++, r())));
  }
}
