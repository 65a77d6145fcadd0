// Types for scripts/redis-cluster.mjs, so tests and benches can import it.
export declare const NODE_COUNT: number;
export declare const NODE_TIMEOUT_MS: number;
export interface ClusterOptions {
  basePort?: number;
  dir?: string;
}
export interface NodeState {
  port: number;
  up: boolean;
  state?: string;
  knownNodes?: number;
  slotsAssigned?: number;
  role?: string;
  linkUp?: boolean;
}
export declare function clusterLayout(opts?: ClusterOptions): { root: string; ports: number[]; nodes: string[] };
export declare function clusterStatus(opts?: ClusterOptions): Promise<{ root: string; nodes: string[]; states: NodeState[]; ok: boolean }>;
/** Starts (or restarts the missing nodes of) the cluster and waits until every node is ok. */
export declare function startCluster(opts?: ClusterOptions): Promise<{ root: string; nodes: string[] }>;
export declare function stopCluster(opts?: ClusterOptions): Promise<{ root: string; stopped: number }>;
