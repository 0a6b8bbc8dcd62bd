// `npm run test:components`: obtain every test component ahead of the suite (CI runs it as its own step,
// so a build failure is reported as such and not as a failed test run). The suite would do the same.
import { ensureControlPlaneBinaries } from './control-plane-binaries.js';
import { downloadGoModule } from './go-modules.js';
import { componentVersions } from './component-versions.js';
import { ensurePrometheusBinary } from './prometheus.js';

const progress = (line: string) => process.stderr.write(`[test components] ${line}\n`);
const start = performance.now();
const binaries = await ensureControlPlaneBinaries(progress);
progress(
  `etcd: ${binaries.etcd}\n[test components] kube-apiserver: ${binaries.kubeApiserver} (${binaries.source})`,
);
progress(`prometheus: ${await ensurePrometheusBinary(progress)}`);
if (!process.env.GITCANARY_GATEWAY_API_CRDS) {
  const gatewayApi = await downloadGoModule('sigs.k8s.io/gateway-api', componentVersions.gatewayApi);
  progress(`gateway-api CRDs: ${gatewayApi.dir}/config/crd/standard`);
}
progress(`done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
