// Fault injection for tests: a plan naming which requests fail how, proxies that apply it, the services' error answers, and route classifiers for GitHub and S3.
export {
  applicable,
  FAULT_MODES,
  FaultPlan,
  REPLICA_LAG_HEADER,
  type Arrival,
  type Fault,
  type FaultMode,
  type GraphqlErrorType,
  type Outcome,
  type ProxiedRequest,
} from './plan.js';
export { startFaultProxy, type FaultProxy, type FaultProxyOptions } from './proxy.js';
export { GRAPHQL_ERROR_TYPES, graphqlOperation, serviceOf, type Answer, type Service } from './answers.js';
export { githubRoute, s3KeyClass, s3Operation, s3PrefixClass, s3Route, type ClassifiedRequest, type Classifier, type S3Operation } from './routes.js';
