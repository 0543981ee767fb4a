/**
 * `safeclaw-edge/lambda`: one AWS Lambda handler for API Gateway (REST and
 * HTTP APIs), Function URLs, ALB and direct invocations from agent code.
 */
export {
  createLambdaHandler,
  isDirectEvent,
  MAX_DIRECT_BATCH,
  type LambdaContextLike,
  type LambdaHandlerOptions,
} from "./runtime/lambda/create-lambda-handler.js";
