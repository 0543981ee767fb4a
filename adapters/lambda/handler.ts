// AWS Lambda entry (nodejs22.x). The policy is compiled into the build:
// `npm run build:lambda` writes build/policy-bundle.js and bundles this file.
import { createLambdaHandler } from "safeclaw-edge/lambda";
import bundle from "../../build/policy-bundle.js";

export const handler = createLambdaHandler({ bundle, env: process.env });
