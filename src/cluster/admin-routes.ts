// GET /admin/cluster: this replica's view of the cluster (Redis up or down, live replicas,
// the N local shares divide by, events sent and heard), for operators and tests.

import type { Router } from '../admin/router.js';
import { sendJson } from '../http/body.js';
import type { ClusterNode } from './node.js';

export function clusterRoutes(r: Router, node: ClusterNode): void {
  r.on('GET', '/admin/cluster', ({ res }) => sendJson(res, 200, node.status()));
}
