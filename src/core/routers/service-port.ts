// The port a route sends to: `service.port` as written, else the target Service's first port (Flagger requires
// the field; a Service target already says which ports it serves).
import type { CanarySpec, KubeObject } from '../model.js';

export function servicePort(canary: CanarySpec, target: KubeObject): number {
  return canary.service.port ?? firstPortOf(target) ?? 0;
}

function firstPortOf(target: KubeObject): number | undefined {
  const ports = (target.spec as { ports?: { port?: unknown }[] } | undefined)?.ports;
  const port = ports?.[0]?.port;
  return typeof port === 'number' ? port : undefined;
}
