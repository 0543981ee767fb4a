/** Does an action pattern (`*`, `file.*`, `file.read`) cover a canonical action? */
export function actionPatternMatches(pattern: string, action: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return action.startsWith(pattern.slice(0, -1));
  return pattern === action;
}
