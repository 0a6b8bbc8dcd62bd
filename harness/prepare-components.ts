// `npm run test:components`: obtain every test component ahead of the suite (CI runs it as its own step,
// so a build failure is reported as such and not as a failed test run). The suite would do the same.
import { dirname } from 'node:path';
import { ensureControlPlaneBinaries } from './control-plane-binaries.js';
import { ensurePrometheusBinary } from './prometheus.js';
import { ensureKustomizeBinary } from './kustomize-binary.js';
import { crdSetFiles, crdSets } from './test-crds.js';
import { ensureTraefikBinary } from './traefik-binary.js';

const progress = (line: string) => process.stderr.write(`[test components] ${line}\n`);
const start = performance.now();
const binaries = await ensureControlPlaneBinaries(progress);
progress(
  `etcd: ${binaries.etcd}\n[test components] kube-apiserver: ${binaries.kubeApiserver} (${binaries.source})`,
);
progress(`prometheus: ${await ensurePrometheusBinary(progress)}`);
for (const set of crdSets) {
  const files = await crdSetFiles(set);
  progress(
    `${set.name} ${set.version} CRDs: ${files.length === 1 ? files[0] : `${files.length} files in ${dirname(files[0] ?? '')}`}`,
  );
}
const traefik = await ensureTraefikBinary(progress);
progress(`traefik: ${traefik.path} (${traefik.source})`);
const kustomize = await ensureKustomizeBinary(progress);
progress(`kustomize: ${kustomize.path} (${kustomize.source})`);
progress(`done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
