// Labels and annotations of the target that are never copied to the Services gitcanary generates: the marks
// GitOps tools put on what they apply. Copied, they would make the generated Services look like the tool's
// own objects (Argo CD's label tracking shows them as Missing, a prune could take them) and every sync and
// every step would rewrite them. The tool marks the generated file's objects itself when it applies them.

/** The default list: Argo CD's tracking label and its annotations, Flux's labels and annotations. */
export const DEFAULT_NOT_COPIED: readonly string[] = [
  'app.kubernetes.io/instance',
  'argocd.argoproj.io/*',
  'kustomize.toolkit.fluxcd.io/*',
];

/** Whether `key` is one of `patterns`: a key as written, or `<prefix>/*` for every key under that prefix. */
export function isNotCopied(key: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('/*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern,
  );
}
