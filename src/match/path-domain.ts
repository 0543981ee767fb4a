import { ANY, literals, NfaBuilder, NOT_SLASH, union, type Nfa } from "./automaton.js";

/** Normalized absolute paths other than `/`: one or more `/segment`, no segment empty, `.` or `..`. */
export const NORMAL_NONROOT: Nfa = (() => {
  const b = new NfaBuilder();
  const s0 = b.state();
  const fresh = b.state(); // just after a `/`
  const dot = b.state(); // `.`
  const dots = b.state(); // `..`
  const name = b.state(); // a proper segment so far (accepting)
  const notSlashNotDot = [0, 0x2d, 0x30, ANY[1]!];
  b.edge(s0, 0x2f, 0x2f, fresh);
  b.edges(fresh, notSlashNotDot, name);
  b.edge(fresh, 0x2e, 0x2e, dot);
  b.edges(dot, notSlashNotDot, name);
  b.edge(dot, 0x2e, 0x2e, dots);
  b.edges(dots, NOT_SLASH, name);
  b.edges(name, NOT_SLASH, name);
  b.edge(name, 0x2f, 0x2f, fresh);
  b.accepting(name);
  return b.build(s0);
})();

/** Every normalized absolute path, `/` included. */
export const NORMAL_PATHS: Nfa = union([NORMAL_NONROOT, literals(["/"])]);
