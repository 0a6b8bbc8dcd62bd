// The three ways a conversation with the git server can fail, as the reconciler must react to them:
// re-plan on a newer head, retry later, or stop until a person fixes the configuration.
// classifyGitError is the one place that maps isomorphic-git and Node errors onto them.

export class PushConflictError extends Error {
  readonly code = 'PushConflict';
  override readonly name = 'PushConflictError';
}

export class GitTransientError extends Error {
  readonly code = 'GitTransient';
  override readonly name = 'GitTransientError';
}

export class GitConfigError extends Error {
  readonly code = 'GitConfig';
  override readonly name = 'GitConfigError';
}

type GitError = PushConflictError | GitTransientError | GitConfigError;

/** A blob read with a size limit is over it: the caller reports the file, it does not retry. */
export class BlobTooLargeError extends Error {
  readonly code = 'BlobTooLarge';
  override readonly name = 'BlobTooLargeError';

  constructor(
    /** The blob's size when it is known (a loose object is only known to be over the limit). */
    readonly bytes: number | undefined,
    readonly limit: number,
  ) {
    super(`blob of ${bytes === undefined ? `over ${limit}` : bytes} bytes is over the limit of ${limit}`);
  }
}

// A host that is down, unreachable or slow now may answer on the next attempt. ENOTFOUND is here because
// cluster DNS fails transiently; a misspelt host name then shows up as a retry that never succeeds.
const transientNetworkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ABORT_ERR', // our per-request deadline (AbortSignal.timeout)
  'ERR_STREAM_PREMATURE_CLOSE',
]);

// A certificate the client does not trust will not become trusted by retrying.
const tlsConfigCodes = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Maps a failure of a remote operation onto the reconciler's vocabulary, or gives `undefined` when it is
 * not a remote failure (a bug, a local disk fault), which callers rethrow unchanged. `subject` starts the
 * message: the repository URL without credentials and the request that failed, `https://…/repo.git (push)`. Never inspects `err.message`.
 */
export function classifyGitError(err: unknown, subject = 'git'): GitError | undefined {
  const code = codeOf(err);
  const options = { cause: err };
  switch (code) {
    case 'PushRejectedError': {
      // 'tag-exists' is the only other reason; gitcanary pushes branches only, so it means a wrong ref.
      const reason = dataOf(err)?.reason;
      return reason === 'not-fast-forward'
        ? new PushConflictError(`${subject}: push rejected, the branch has moved`, options)
        : new GitConfigError(`${subject}: push rejected (${String(reason)})`, options);
    }
    case 'GitPushError':
      // The server refused the ref update, e.g. receive.denyNonFastForwards, or the compare-and-swap lost a
      // race with another writer. A refusal that is not a race (a declining hook) is told apart later by
      // pushWithRetry, which sees that the branch did not move.
      return new PushConflictError(`${subject}: push refused by the server`, options);
    case 'HttpError':
      return classifyHttpStatus(Number(dataOf(err)?.statusCode), subject, options);
    case 'EmptyServerResponseError':
      return new GitTransientError(`${subject}: empty response from the git server`, options);
    case 'SmartHttpError':
      return new GitConfigError(`${subject}: not a git smart-HTTP endpoint`, options);
    case 'UrlParseError':
    case 'UnknownTransportError':
      return new GitConfigError(`${subject}: unusable repository URL`, options);
    case 'RemoteCapabilityError':
      return new GitConfigError(`${subject}: the git server does not support shallow fetches`, options);
    case 'NotFoundError':
      return new GitConfigError(`${subject}: ref or object not found`, options);
    case 'UserCanceledError':
      return new GitConfigError(`${subject}: authentication was cancelled`, options);
    default:
      if (code !== undefined && transientNetworkCodes.has(code)) {
        return new GitTransientError(`${subject}: network error (${code})`, options);
      }
      if (code !== undefined && tlsConfigCodes.has(code)) {
        return new GitConfigError(`${subject}: TLS certificate not trusted (${code})`, options);
      }
      return undefined;
  }
}

function classifyHttpStatus(status: number, subject: string, options: ErrorOptions): GitError {
  if (status === 401 || status === 403) {
    return new GitConfigError(`${subject}: authentication failed (HTTP ${status})`, options);
  }
  if (status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599)) {
    return new GitTransientError(`${subject}: git server unavailable (HTTP ${status})`, options);
  }
  return new GitConfigError(`${subject}: git server answered HTTP ${status}`, options);
}

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

function dataOf(err: unknown): Record<string, unknown> | undefined {
  if (typeof err !== 'object' || err === null || !('data' in err)) return undefined;
  return typeof err.data === 'object' && err.data !== null
    ? (err.data as Record<string, unknown>)
    : undefined;
}
