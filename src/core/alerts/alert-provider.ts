// AlertProvider documents in Flagger's shape (flagger.app/v1beta1, and the same under gitcanary.dev/v1alpha1):
// where a Canary's alerts go. The chat services' incoming-webhook URLs are credentials in themselves (whoever
// has one can post to the channel), so for those types an `address` written in git is refused: it must come
// from a mounted Secret (`secretRef`). A generic webhook may name its address in git when it carries no
// credential (no user:password, no query string).
import { z } from 'zod';
import type { SourceRef } from '../model.js';
import { FLAGGER_V1BETA1, GITCANARY_V1ALPHA1, ObjectMeta } from '../manifests/canary-schema.js';
import { formatFieldPath, type ManifestError } from '../manifests/manifest-error.js';
import { isSecretName } from '../analysis/metric-template.js';
import { isHttpUrl, mustBe, requiredWhenMissing } from '../analysis/parse-checks.js';

const ALERT_PROVIDER_API_VERSIONS = [FLAGGER_V1BETA1, GITCANARY_V1ALPHA1] as const;

/** Flagger's five chat services, and `generic`: the alert as JSON, for anything else. */
export const ALERT_PROVIDER_TYPES = ['slack', 'msteams', 'discord', 'rocket', 'gchat', 'generic'] as const;
type AlertProviderType = (typeof ALERT_PROVIDER_TYPES)[number];

// Flagger's defaults for the bot name and channel of the Slack-like services.
const DEFAULT_ALERT_USERNAME = 'gitcanary';
const DEFAULT_ALERT_CHANNEL = 'general';

const AlertProviderDocument = z.object({
  apiVersion: z.enum(ALERT_PROVIDER_API_VERSIONS),
  kind: z.literal('AlertProvider'),
  metadata: ObjectMeta,
  spec: z.object({
    type: z.enum(ALERT_PROVIDER_TYPES, { error: `must be one of ${ALERT_PROVIDER_TYPES.join(', ')}` }),
    channel: z.string(mustBe('must be a string')).nullish(),
    username: z.string(mustBe('must be a string')).nullish(),
    address: z
      .string(mustBe('must be a URL'))
      .refine(isHttpUrl, 'must be an absolute http:// or https:// URL')
      .nullish(),
    proxy: z
      .string(mustBe('must be a URL'))
      .refine(isHttpUrl, 'must be an absolute http:// or https:// URL')
      .nullish(),
    secretRef: z
      .object({
        name: z
          .string(mustBe('must be a Secret name'))
          .refine(isSecretName, 'must be a Secret name (lower-case letters, digits, "-" and ".")'),
      })
      .nullish(),
  }),
});

export interface AlertProvider {
  namespace: string;
  name: string;
  type: AlertProviderType;
  channel: string;
  username: string;
  /** From git; only a generic webhook's, and only without credentials in it. */
  address?: string;
  proxy?: string;
  /** Read from the credentials directory: `<dir>/<namespace>/<name>/address` (and `token`, `proxy`). */
  secretRef?: { name: string };
}

export interface AlertProviderManifest {
  source: SourceRef;
  provider: AlertProvider;
}

export function isAlertProviderApiVersion(apiVersion: unknown): boolean {
  return (ALERT_PROVIDER_API_VERSIONS as readonly unknown[]).includes(apiVersion);
}

export function parseAlertProvider(
  document: unknown,
  source: SourceRef,
  defaultNamespace: string,
): AlertProviderManifest | { errors: ManifestError[] } {
  const error = (field: string, message: string): ManifestError => ({
    code: 'ManifestInvalid',
    file: source.file,
    document: source.document,
    field,
    message,
  });
  const parsed = AlertProviderDocument.safeParse(document, { error: requiredWhenMissing });
  if (!parsed.success) {
    return { errors: parsed.error.issues.map((i) => error(formatFieldPath(i.path), i.message)) };
  }
  const { metadata, spec } = parsed.data;
  const errors: ManifestError[] = [];
  const address = spec.address ?? undefined;
  if (address !== undefined && carriesCredential(spec.type, address)) {
    errors.push(
      error(
        'spec.address',
        spec.type === 'generic'
          ? 'carries a credential (user:password or a query string); put the address in a Secret and use secretRef'
          : `a ${spec.type} webhook URL is a credential; put it in a Secret (key "address") and use secretRef`,
      ),
    );
  }
  if (address === undefined && !spec.secretRef) {
    errors.push(error('spec.secretRef', 'required: the address comes from a Secret (key "address")'));
  }
  if (errors.length > 0) return { errors };
  return {
    source,
    provider: {
      namespace: metadata.namespace ?? defaultNamespace,
      name: metadata.name,
      type: spec.type,
      channel: spec.channel || DEFAULT_ALERT_CHANNEL,
      username: spec.username || DEFAULT_ALERT_USERNAME,
      ...(address !== undefined ? { address } : {}),
      ...(spec.proxy ? { proxy: spec.proxy } : {}),
      ...(spec.secretRef ? { secretRef: { name: spec.secretRef.name } } : {}),
    },
  };
}

/**
 * Slack, Teams, Discord, Rocket.Chat and Google Chat authenticate an incoming webhook by its URL alone (a
 * token in its path or query), so any address of theirs is a secret. A generic one is when it has
 * userinfo or a query.
 */
function carriesCredential(type: AlertProviderType, address: string): boolean {
  if (type !== 'generic') return true;
  const url = new URL(address);
  return url.username !== '' || url.password !== '' || url.search !== '';
}
