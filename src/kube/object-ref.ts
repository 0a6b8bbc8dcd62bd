// Names one object of the cluster; in a file of its own so that the cluster client and its live cache, which
// both take one, do not import each other.
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}
