// Fault injection for tests: a plan naming which requests fail how, proxies that apply it, and route classifiers for GitHub and S3.
export { FaultPlan, type Arrival, type Fault, type FaultMode, type Outcome, type ProxiedRequest } from './plan.js';
export { startFaultProxy, type FaultProxy, type FaultProxyOptions } from './proxy.js';
export { githubRoute, s3KeyClass, s3Operation, s3PrefixClass, s3Route, type ClassifiedRequest, type Classifier, type S3Operation } from './routes.js';
