// The address policy of the repository's webhook and MetricTemplate URLs: the defaults, the longest-prefix
// rule between allow and deny ranges, host names, and the lookup that connections resolve through.
import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  AddressPolicy,
  AddressPolicyError,
  AddressRefusedError,
  parseCidr,
  resolveApiServer,
} from '../../../src/analysis/address-policy.js';

const byDefault = new AddressPolicy();

describe('AddressPolicy', () => {
  it.each([
    ['169.254.169.254', 'link-local address'],
    ['169.254.0.1', 'link-local address'],
    ['fe80::1', 'link-local address'],
    ['::ffff:169.254.169.254', 'link-local address'],
    ['::ffff:a9fe:a9fe', 'link-local address'],
    ['fd00:ec2::254', 'cloud metadata address'],
    ['100.100.100.200', 'cloud metadata address'],
    ['127.0.0.1', 'loopback address'],
    ['127.1.2.3', 'loopback address'],
    ['::1', 'loopback address'],
    ['::ffff:127.0.0.1', 'loopback address'],
    ['0.0.0.0', 'unspecified address'],
    ['::', 'unspecified address'],
  ])('refuses %s by default (%s)', (address, label) => {
    expect(byDefault.checkAddress(address)).toBe(`refused by the address policy: ${label}`);
  });

  it.each(['10.0.0.7', '192.168.1.1', '172.20.0.3', '8.8.8.8', '2001:db8::1', 'fd00::1'])(
    'allows %s by default: in-cluster and external receivers',
    (address) => {
      expect(byDefault.checkAddress(address)).toBeUndefined();
    },
  );

  it('lets a narrower allow range open part of a refused one, never a wider one', () => {
    const policy = new AddressPolicy({ allowCidrs: ['127.0.0.1/32', '0.0.0.0/0', '::/0'] });

    expect(policy.checkAddress('127.0.0.1')).toBeUndefined();
    expect(policy.checkAddress('127.0.0.2')).toMatch(/loopback/u);
    expect(policy.checkAddress('169.254.169.254')).toMatch(/link-local/u);
    expect(policy.checkAddress('fe80::1')).toMatch(/link-local/u);
  });

  it('calls only the allowed ranges once any is given', () => {
    const policy = new AddressPolicy({ allowCidrs: ['10.0.0.0/8'] });

    expect(policy.checkAddress('10.1.2.3')).toBeUndefined();
    expect(policy.checkAddress('192.168.1.1')).toBe(
      'refused by the address policy: not in --webhook-allow-cidrs',
    );
  });

  it('refuses a deny range inside an allowed one, and a deny wins a tie', () => {
    const policy = new AddressPolicy({
      allowCidrs: ['10.0.0.0/8', '10.9.0.0/16'],
      denyCidrs: ['10.9.0.0/16'],
    });

    expect(policy.checkAddress('10.9.1.1')).toBe('refused by the address policy: in --webhook-deny-cidrs');
    expect(policy.checkAddress('10.8.1.1')).toBeUndefined();
  });

  it("refuses the API server's addresses even inside an allowed range, and its name", () => {
    const policy = new AddressPolicy({
      allowCidrs: ['10.0.0.0/8'],
      apiServer: { host: 'api.cluster.example', addresses: ['10.96.0.1'] },
    });

    expect(policy.checkAddress('10.96.0.1')).toBe('refused by the address policy: the Kubernetes API server');
    expect(policy.checkUrl(new URL('https://API.cluster.example./x'))).toBe(
      'refused by the address policy: the Kubernetes API server',
    );
    expect(policy.checkUrl(new URL('https://10.96.0.1:443/'))).toMatch(/API server/u);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', /link-local/u],
    // The URL parser normalises every spelling of an IPv4 address before the policy sees it.
    ['http://2852039166/', /link-local/u],
    ['http://0xa9.0xfe.0xa9.0xfe/', /link-local/u],
    ['http://[::ffff:169.254.169.254]/', /link-local/u],
    ['http://[::1]:8080/', /loopback/u],
    ['ftp://hooks.example.com/', /only http and https/u],
    ['file:///etc/passwd', /only http and https/u],
  ])('refuses %s before connecting', (url, reason) => {
    expect(byDefault.checkUrl(new URL(url))).toMatch(reason);
  });

  it('calls only the listed hosts once --webhook-allow-hosts is given', () => {
    const policy = new AddressPolicy({ allowHosts: ['hooks.example.com', '*.loadtest.svc'] });

    expect(policy.checkUrl(new URL('https://hooks.example.com/x'))).toBeUndefined();
    expect(policy.checkUrl(new URL('http://tester.loadtest.svc:8080/'))).toBeUndefined();
    expect(policy.checkUrl(new URL('http://loadtest.svc/'))).toMatch(/not in --webhook-allow-hosts/u);
    expect(policy.checkUrl(new URL('http://evil.example.com/'))).toMatch(/not in --webhook-allow-hosts/u);
  });

  it.each(['10.0.0.0/33', '10.0.0/8', 'example.com/8', '::/129', '10.0.0.0/8/1', '10.0.0.0/-1'])(
    'refuses the range %s',
    (cidr) => {
      expect(() => parseCidr(cidr)).toThrow(AddressPolicyError);
    },
  );

  it('reads a bare address as one address', () => {
    expect(parseCidr('10.1.2.3')).toEqual({ network: '10.1.2.3', prefix: 32, family: 'ipv4' });
    expect(parseCidr('fd00::1')).toEqual({ network: 'fd00::1', prefix: 128, family: 'ipv6' });
  });
});

describe("AddressPolicy's lookup", () => {
  /** A resolver that answers from a table, as dns.lookup with `all: true` does. */
  function resolverOf(table: Record<string, LookupAddress[]>) {
    const calls: string[] = [];
    const resolve = ((
      host: string,
      _options: unknown,
      callback: (e: Error | null, a: LookupAddress[]) => void,
    ) => {
      calls.push(host);
      const answer = table[host];
      if (answer) callback(null, answer);
      else callback(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
    }) as unknown as typeof dnsLookup;
    return { resolve, calls };
  }

  function lookup(policy: AddressPolicy, host: string, all: boolean) {
    return new Promise<{ err: Error | null; result: unknown }>((resolve) => {
      policy.lookup(host, { all }, (err, address, family) =>
        resolve({ err, result: all ? address : [address, family] }),
      );
    });
  }

  it('refuses a name if any of its addresses is refused, since the connection may use any of them', async () => {
    const { resolve } = resolverOf({
      'rebind.example': [
        { address: '203.0.113.10', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ],
    });
    const policy = new AddressPolicy({ resolve });

    const { err } = await lookup(policy, 'rebind.example', true);

    expect(err).toBeInstanceOf(AddressRefusedError);
    expect((err as AddressRefusedError).refusal).toBe('refused by the address policy: link-local address');
  });

  it('answers in the form asked for, one address or all of them', async () => {
    const addresses = [
      { address: '203.0.113.10', family: 4 },
      { address: '2001:db8::10', family: 6 },
    ];
    const { resolve } = resolverOf({ 'hooks.example': addresses });
    const policy = new AddressPolicy({ resolve });

    expect(await lookup(policy, 'hooks.example', true)).toEqual({ err: null, result: addresses });
    expect(await lookup(policy, 'hooks.example', false)).toEqual({ err: null, result: ['203.0.113.10', 4] });
  });

  it('passes a resolver error on', async () => {
    const { resolve } = resolverOf({});

    const { err } = await lookup(new AddressPolicy({ resolve }), 'nowhere.example', true);

    expect((err as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
  });
});

describe('resolveApiServer', () => {
  it('takes an address as it is, and looks a name up', async () => {
    const lookups: string[] = [];
    const resolve = (host: string) => {
      lookups.push(host);
      return Promise.resolve([{ address: '192.0.2.7', family: 4 }]);
    };

    expect(await resolveApiServer('https://10.96.0.1:443', resolve)).toEqual({
      host: '10.96.0.1',
      addresses: ['10.96.0.1'],
    });
    expect(await resolveApiServer('https://[fd00::1]:6443', resolve)).toEqual({
      host: 'fd00::1',
      addresses: ['fd00::1'],
    });
    expect(await resolveApiServer('https://api.example.com:6443', resolve)).toEqual({
      host: 'api.example.com',
      addresses: ['192.0.2.7'],
    });
    expect(lookups).toEqual(['api.example.com']);
  });

  it('keeps the name refused when it cannot be looked up', async () => {
    const failing = () => Promise.reject(new Error('ENOTFOUND'));

    expect(await resolveApiServer('https://api.example.com', failing)).toEqual({
      host: 'api.example.com',
      addresses: [],
    });
  });
});
