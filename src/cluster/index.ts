// Cluster mode's public surface: what main.ts and the config need, nothing else.

export { ClusterNode, type ClusterStatus } from './node.js';
export { clusterOptions, assertSharedLedger, CLUSTER_DEFAULTS, type ClusterOptions, type ClusterSettings, type FailMode } from './options.js';
export { clusterRoutes } from './admin-routes.js';
export type { CommitmentTerm } from './contract-sync.js';
