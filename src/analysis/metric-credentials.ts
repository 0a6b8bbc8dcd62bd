// Credentials for a MetricTemplate's `secretRef`. gitcanary has no RBAC to read Secrets, so a Secret is
// mounted into its pod instead, one directory per reference: `<dir>/<template namespace>/<secret name>/`
// holding the Secret's keys as files (`token`, or `username` and `password`), as a Secret volume lays them out.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSecretName } from '../core/analysis/metric-template.js';
import type { PrometheusAuth } from './prometheus-client.js';

type CredentialsResult = { ok: true; auth: PrometheusAuth } | { ok: false; reason: string };

/** Read at every query, so a rotated Secret is picked up without a restart. */
export async function readMetricCredentials(
  dir: string | undefined,
  namespace: string,
  secretName: string,
): Promise<CredentialsResult> {
  const secret = `secret ${namespace}/${secretName}`;
  if (dir === undefined) {
    return { ok: false, reason: `${secret} is referenced, but no metrics credentials directory is set` };
  }
  // Names come from the repository; only Kubernetes names may become path segments.
  if (!isSecretName(namespace) || !isSecretName(secretName)) {
    return { ok: false, reason: `${secret}: not a valid Kubernetes name` };
  }
  const folder = join(dir, namespace, secretName);
  try {
    const token = await readKey(folder, 'token');
    if (token !== undefined) return { ok: true, auth: { token } };
    const username = await readKey(folder, 'username');
    const password = await readKey(folder, 'password');
    if (username !== undefined && password !== undefined) return { ok: true, auth: { username, password } };
    const missing = username === undefined ? 'username' : 'password';
    return {
      ok: false,
      reason: `${secret}: ${folder} holds neither a token nor a ${missing}; mount the Secret there`,
    };
  } catch (err) {
    return { ok: false, reason: `${secret}: cannot read ${folder} (${(err as NodeJS.ErrnoException).code})` };
  }
}

/** A key's value, without the line break `echo` leaves; undefined when the file is missing or empty. */
async function readKey(folder: string, key: string): Promise<string | undefined> {
  try {
    const value = (await readFile(join(folder, key), 'utf8')).replace(/\r?\n$/u, '');
    return value === '' ? undefined : value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
