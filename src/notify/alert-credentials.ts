// Where an AlertProvider's address comes from when it is not in git: the Secret its `secretRef` names,
// mounted like a MetricTemplate's, as `<credentials dir>/<provider namespace>/<secret name>/` with the keys
// `address` (required), and optionally `token` (sent as a bearer token) and `proxy`. Read at every send,
// so a rotated Secret is picked up without a restart.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlertProvider } from '../core/alerts/alert-provider.js';
import { isSecretName } from '../core/analysis/metric-template.js';
import { DeliveryError } from './delivery.js';

interface AlertDestination {
  address: string;
  token?: string;
  proxy?: string;
}

export async function alertDestination(
  provider: AlertProvider,
  credentialsDir: string | undefined,
): Promise<AlertDestination> {
  const fromGit = { ...(provider.proxy ? { proxy: provider.proxy } : {}) };
  if (!provider.secretRef) {
    if (!provider.address) throw new DeliveryError('no address and no secretRef', false);
    return { address: provider.address, ...fromGit };
  }
  const secret = `secret ${provider.namespace}/${provider.secretRef.name}`;
  if (credentialsDir === undefined) {
    throw new DeliveryError(`${secret} is referenced, but no credentials directory is set`, false);
  }
  if (!isSecretName(provider.namespace) || !isSecretName(provider.secretRef.name)) {
    throw new DeliveryError(`${secret}: not a valid Kubernetes name`, false);
  }
  const folder = join(credentialsDir, provider.namespace, provider.secretRef.name);
  const address = await readKey(folder, 'address');
  if (address === undefined) throw new DeliveryError(`${secret}: no "address" key in ${folder}`, false);
  const token = await readKey(folder, 'token');
  const proxy = (await readKey(folder, 'proxy')) ?? fromGit.proxy;
  return { address, ...(token ? { token } : {}), ...(proxy ? { proxy } : {}) };
}

async function readKey(folder: string, key: string): Promise<string | undefined> {
  try {
    const value = (await readFile(join(folder, key), 'utf8')).trim();
    return value === '' ? undefined : value;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new DeliveryError(`cannot read ${join(folder, key)} (${code})`, true);
  }
}
