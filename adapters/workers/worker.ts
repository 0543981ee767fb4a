// Cloudflare Worker entry. The policy is compiled in: `npm run build:bundle`
// writes build/policy-bundle.js before `wrangler deploy`.
import { createWorker } from "safeclaw-edge/workers";
import bundle from "../../build/policy-bundle.js";

export default createWorker(bundle);
// The Durable Object class of the SAFECLAW_STATE binding (wrangler.toml): it must be exported by the main module.
export { SafeClawState } from "safeclaw-edge/workers";
