// Cloudflare Worker entry. The policy is compiled in: `npm run build:bundle`
// writes build/policy-bundle.js before `wrangler deploy`.
import bundle from "../../build/policy-bundle.js";
import { createWorker } from "../../src/workers/create-worker.js";

export default createWorker(bundle);
