// Which addresses the repository may make gitcanary call. Webhook URLs and MetricTemplate addresses are
// written by whoever can push to the repository, so they are hostile input: without a policy they reach the
// cloud metadata service, the pod's own loopback and the Kubernetes API server with gitcanary's network
// position. The policy is checked on the address actually connected to (the lookup of the connection
// itself), so a name that resolves to an allowed address once and to a refused one later (DNS rebinding)
// gains nothing.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { lookup as lookupAll } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

type AddressAction = 'allow' | 'deny';

interface AddressRule {
  /** As written: `10.0.0.0/8`, `::1/128`. */
  cidr: string;
  action: AddressAction;
  /** What a refusal names: `link-local address`, `in --webhook-deny-cidrs`. */
  label: string;
}

/** Refused always unless an allow rule names a narrower range (the longest prefix decides). */
const DEFAULT_DENY_RULES: readonly AddressRule[] = [
  // Link-local holds the cloud metadata service (169.254.169.254), which hands out node credentials.
  { cidr: '169.254.0.0/16', action: 'deny', label: 'link-local address' },
  { cidr: 'fe80::/10', action: 'deny', label: 'link-local address' },
  // The metadata services that live outside link-local: AWS's IPv6 one and Alibaba Cloud's.
  { cidr: 'fd00:ec2::254/128', action: 'deny', label: 'cloud metadata address' },
  { cidr: '100.100.100.200/32', action: 'deny', label: 'cloud metadata address' },
  // gitcanary's own pod: its HTTP port and whatever else listens only on loopback.
  { cidr: '127.0.0.0/8', action: 'deny', label: 'loopback address' },
  { cidr: '::1/128', action: 'deny', label: 'loopback address' },
  // Linux connects 0.0.0.0 and :: to the local host.
  { cidr: '0.0.0.0/8', action: 'deny', label: 'unspecified address' },
  { cidr: '::/128', action: 'deny', label: 'unspecified address' },
];

interface AddressPolicyOptions {
  /** When given, only these ranges may be called (a narrower deny range inside one still wins: checkAddress). */
  allowCidrs?: readonly string[];
  /** Refused on top of the defaults. */
  denyCidrs?: readonly string[];
  /** When given, only these host names may be called: `hooks.example.com` or `*.example.com`. */
  allowHosts?: readonly string[];
  /** The API server as the kubeconfig names it: its host name and the addresses it resolved to. */
  apiServer?: { host: string; addresses: readonly string[] };
  /** The resolver of a connection; dns.lookup unless a test injects one. */
  resolve?: typeof dnsLookup;
}

export class AddressPolicyError extends Error {
  readonly code = 'AddressPolicyInvalid';
  constructor(message: string) {
    super(message);
    this.name = 'AddressPolicyError';
  }
}

/** Raised from a connection's lookup when a resolved address is refused; never retried. */
export class AddressRefusedError extends Error {
  readonly code = 'AddressRefused';
  constructor(readonly refusal: string) {
    super(refusal);
    this.name = 'AddressRefusedError';
  }
}

interface CompiledRule extends AddressRule {
  /** In IPv6 bits, so that an IPv4 /8 (= /104) and an IPv6 /96 compare. */
  specificity: number;
  list: BlockList;
}

export class AddressPolicy {
  /** For addresses the operator gave (`--metrics-server`) and for tests: every address may be called. */
  static readonly unrestricted = new AddressPolicy({ allowCidrs: ['::/0'] }, []);

  private readonly rules: CompiledRule[];
  private readonly allowHosts: readonly string[];
  private readonly deniedHosts: ReadonlySet<string>;
  private readonly restricted: boolean;
  private readonly resolve: typeof dnsLookup;

  constructor(options: AddressPolicyOptions = {}, defaults: readonly AddressRule[] = DEFAULT_DENY_RULES) {
    const apiServer = options.apiServer;
    const rules: AddressRule[] = [
      ...defaults,
      ...(options.denyCidrs ?? []).map((cidr) => ({
        cidr,
        action: 'deny' as const,
        label: 'in --webhook-deny-cidrs',
      })),
      ...(apiServer?.addresses ?? []).map((address) => ({
        cidr: `${address}/${isIP(address) === 6 ? 128 : 32}`,
        action: 'deny' as const,
        label: 'the Kubernetes API server',
      })),
      ...(options.allowCidrs ?? []).map((cidr) => ({
        cidr,
        action: 'allow' as const,
        label: 'in --webhook-allow-cidrs',
      })),
    ];
    this.rules = rules.map(compileRule).sort((a, b) => b.specificity - a.specificity);
    this.restricted = (options.allowCidrs ?? []).length > 0;
    this.allowHosts = (options.allowHosts ?? []).map(normalizeHost).filter((h) => h !== '');
    for (const host of this.allowHosts) {
      if (!/^(?:\*\.)?[a-z0-9._:[\]-]+$/u.test(host)) {
        throw new AddressPolicyError(`--webhook-allow-hosts: "${host}" is not a host name or *.domain`);
      }
    }
    this.deniedHosts = new Set(
      apiServer && isIP(apiServer.host) === 0 ? [normalizeHost(apiServer.host)] : [],
    );
    this.resolve = options.resolve ?? dnsLookup;
  }

  /**
   * Why the URL may not be called, or undefined. Checks what is known before connecting: the scheme, the
   * host name, and the address when the URL holds one (Node connects to a literal address without a lookup).
   */
  checkUrl(url: URL): string | undefined {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return refused('only http and https');
    const host = normalizeHost(url.hostname);
    if (this.deniedHosts.has(host)) return refused('the Kubernetes API server');
    if (this.allowHosts.length > 0 && !this.allowHosts.some((pattern) => hostMatches(pattern, host))) {
      return refused('host not in --webhook-allow-hosts');
    }
    const literal = host.replace(/^\[(.*)\]$/u, '$1');
    return isIP(literal) === 0 ? undefined : this.checkAddress(literal);
  }

  /**
   * Why an address may not be called, or undefined. The most specific rule that contains it decides (a
   * deny wins a tie), so `--webhook-allow-cidrs 10.0.0.0/8` does not open the API server's /32, while
   * `127.0.0.1/32` does open loopback. An address no rule holds is allowed, unless allow ranges are given.
   */
  checkAddress(address: string): string | undefined {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const rule = this.rules.find((r) => r.list.check(address, family));
    if (rule?.action === 'allow') return undefined;
    if (rule) return refused(rule.label);
    return this.restricted ? refused('not in --webhook-allow-cidrs') : undefined;
  }

  /** The `lookup` of a connection: resolves, and fails unless every address is allowed. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const all: LookupAllOptions = { ...options, all: true };
    this.resolve(hostname, all, (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      // Every address, not just the first: the connection may fall back to any of them.
      const refusal = addresses.map((a) => this.checkAddress(a.address)).find((r) => r !== undefined);
      const [first] = addresses;
      if (refusal !== undefined) return callback(new AddressRefusedError(refusal), '', 0);
      if (!first) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      } else callback(null, first.address, first.family);
    });
  };
}

/** `10.0.0.0/8`, `fd00::/8` or a bare address (a /32 or /128). */
export function parseCidr(cidr: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [network = '', prefixText, ...rest] = cidr.trim().split('/');
  const version = isIP(network);
  if (version === 0 || rest.length > 0) throw new AddressPolicyError(`"${cidr}" is not an address range`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/u.test(prefixText ?? String(max)) || prefix > max) {
    throw new AddressPolicyError(`"${cidr}": the prefix length must be 0 to ${max}`);
  }
  return { network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function compileRule(rule: AddressRule): CompiledRule {
  const { network, prefix, family } = parseCidr(rule.cidr);
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { ...rule, specificity: family === 'ipv4' ? prefix + 96 : prefix, list };
}

function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/u, '');
}

function hostMatches(pattern: string, host: string): boolean {
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
}

/** The reason a check records: which rule, never the address or the URL (which may hold a token). */
function refused(what: string): string {
  return `refused by the address policy: ${what}`;
}

/**
 * The API server of a kubeconfig (`https://10.96.0.1:443`, `https://api.example.com:6443`) and the addresses
 * its name resolves to now. A lookup that fails leaves only the name refused.
 */
export async function resolveApiServer(
  server: string,
  resolve: (host: string) => Promise<LookupAddress[]> = (host) => lookupAll(host, { all: true }),
): Promise<{ host: string; addresses: string[] }> {
  let host: string;
  try {
    host = new URL(server).hostname.replace(/^\[(.*)\]$/u, '$1');
  } catch {
    return { host: '', addresses: [] };
  }
  if (isIP(host) !== 0) return { host, addresses: [host] };
  try {
    return { host, addresses: (await resolve(host)).map((a) => a.address) };
  } catch {
    return { host, addresses: [] };
  }
}
