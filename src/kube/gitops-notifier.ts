// Asks the GitOps tool that applies the repository to look at it now, once gitcanary has pushed a step, so a
// commit-only release moves at the speed of the push and not of the tool's polling interval. One annotation
// per target, by merge patch as field manager `gitcanary`; a failure is logged and counted, never a failed step.
import { KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeKubeError } from './errors.js';
import { reuseConnections } from './reuse-connections.js';

/**
 * What each tool reads as "sync now". Flux: a new `requestedAt` on the GitRepository makes source-controller
 * fetch at once, and the new revision then triggers every Kustomization built from it (the Kustomization
 * itself is not annotated: reconciled before its source has fetched, it would apply the previous revision).
 * Argo CD: `refresh: normal` on the Application makes it compare with the branch's new head (and, with
 * automated sync, apply it); Argo CD removes the annotation once done.
 */
const gitOpsTools = {
  flux: {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    annotation: 'reconcile.fluxcd.io/requestedAt',
  },
  argocd: {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    annotation: 'argocd.argoproj.io/refresh',
  },
} as const;

type GitOpsTool = keyof typeof gitOpsTools;

export interface NotifyTarget {
  tool: GitOpsTool;
  namespace: string;
  name: string;
}

export type NotifyResult = 'success' | 'failed';

export const describeTarget = (target: NotifyTarget) => `${target.tool}:${target.namespace}/${target.name}`;

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `flux:<ns>/<GitRepository>` or `argocd:<ns>/<Application>`; an error message when it is neither. */
export function parseNotifyTarget(value: string): { target: NotifyTarget } | { error: string } {
  const match = /^([a-z]+):([^/]+)\/([^/]+)$/.exec(value.trim());
  const tools = Object.keys(gitOpsTools).join(', ');
  if (!match)
    return { error: `"${value}": expected <tool>:<namespace>/<name>, e.g. flux:flux-system/apps (${tools})` };
  const [, tool = '', namespace = '', name = ''] = match;
  if (!(tool in gitOpsTools)) return { error: `"${value}": unknown tool "${tool}" (${tools})` };
  if (!dnsLabel.test(namespace)) return { error: `"${value}": "${namespace}" is not a namespace name` };
  if (!dnsSubdomain.test(name)) return { error: `"${value}": "${name}" is not an object name` };
  return { target: { tool: tool as GitOpsTool, namespace, name } };
}

interface GitOpsNotifierOptions {
  logger: Logger;
  clock: () => Date;
  /** Told of every request's outcome (the daemon counts them in /metrics). */
  onResult?: (target: string, result: NotifyResult) => void;
  /** A request that has not answered by then is counted as failed, so a pass never hangs on it. */
  timeoutMs?: number;
}

export class GitOpsNotifier {
  private readonly api: KubernetesObjectApi;
  private pending: Promise<void> | undefined;
  /** The last `requestedAt` sent: each must differ from the one before, or Flux sees no new request. */
  private lastStamp = 0;

  constructor(
    kubeConfig: KubeConfig,
    readonly targets: readonly NotifyTarget[],
    private readonly options: GitOpsNotifierOptions,
  ) {
    this.api = KubernetesObjectApi.makeApiClient(reuseConnections(kubeConfig));
  }

  /**
   * The reconciler's `notify` hook. Every Canary stepped in one pass calls it at once, after the push: one
   * request per target answers all of them (each call made before the request is sent, so after its push).
   */
  readonly notify = (): Promise<void> => {
    if (this.targets.length === 0) return Promise.resolve();
    this.pending ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.pending = undefined;
      return this.notifyAll();
    });
    return this.pending;
  };

  private async notifyAll(): Promise<void> {
    const value = this.requestedAt();
    await Promise.all(this.targets.map((target) => this.annotate(target, value)));
  }

  private async annotate(target: NotifyTarget, requestedAt: string): Promise<void> {
    const { logger, onResult } = this.options;
    const tool = gitOpsTools[target.tool];
    const patch = {
      apiVersion: tool.apiVersion,
      kind: tool.kind,
      metadata: {
        name: target.name,
        namespace: target.namespace,
        annotations: { [tool.annotation]: target.tool === 'argocd' ? 'normal' : requestedAt },
      },
    };
    const described = describeTarget(target);
    try {
      await this.withTimeout(
        this.api.patch(patch, undefined, undefined, 'gitcanary', undefined, PatchStrategy.MergePatch),
      );
      onResult?.(described, 'success');
      logger.debug({ target: described, annotation: tool.annotation }, 'asked the GitOps tool to sync');
    } catch (err) {
      onResult?.(described, 'failed');
      // Status and the API server's message only: never the error object, which carries the request.
      const { status, detail } = describeKubeError(err);
      logger.warn(
        { target: described, kind: tool.kind, status, detail },
        'could not ask the GitOps tool to sync; it will apply the commit at its next interval',
      );
    }
  }

  private requestedAt(): string {
    // Later than the last one sent, also when the clock did not move (or moved back).
    this.lastStamp = Math.max(this.options.clock().getTime(), this.lastStamp + 1);
    return new Date(this.lastStamp).toISOString();
  }

  private async withTimeout<T>(request: Promise<T>): Promise<T> {
    const ms = this.options.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([request, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
