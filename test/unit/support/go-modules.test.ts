import { describe, expect, it } from 'vitest';
import { wrapperGoMod, type GoModFile } from '../../../harness/go-modules.js';

const upstream: GoModFile = {
  Module: { Path: 'example.test/proxy/v3' },
  Go: '1.25.0',
  Require: [
    { Path: 'example.test/lib', Version: 'v1.2.3' },
    { Path: 'example.test/dep', Version: 'v0.4.0', Indirect: true },
  ],
  Replace: [
    { Old: { Path: 'example.test/auth' }, New: { Path: 'example.test/auth-fork', Version: 'v0.1.0' } },
    {
      Old: { Path: 'example.test/old', Version: 'v1.0.0' },
      New: { Path: 'example.test/new', Version: 'v1.0.1' },
    },
  ],
  Exclude: [{ Path: 'example.test/sdk', Version: 'v3.0.83+incompatible' }],
};

describe('wrapperGoMod', () => {
  it('requires upstream and repeats its go version, requirements, replace and exclude lines', () => {
    expect(wrapperGoMod('gitcanary.test/proxy', upstream, 'v3.6.12')).toBe(
      [
        'module gitcanary.test/proxy',
        '',
        'go 1.25.0',
        '',
        'require (',
        '\texample.test/proxy/v3 v3.6.12',
        '\texample.test/lib v1.2.3',
        '\texample.test/dep v0.4.0 // indirect',
        ')',
        '',
        'replace (',
        '\texample.test/auth => example.test/auth-fork v0.1.0',
        '\texample.test/old v1.0.0 => example.test/new v1.0.1',
        ')',
        '',
        'exclude (',
        '\texample.test/sdk v3.0.83+incompatible',
        ')',
        '',
      ].join('\n'),
    );
  });

  it('leaves out the blocks upstream does not have', () => {
    expect(wrapperGoMod('gitcanary.test/tool', { Module: { Path: 'example.test/tool' } }, 'v1.0.0')).toBe(
      'module gitcanary.test/tool\n\ngo 1.24\n\nrequire (\n\texample.test/tool v1.0.0\n)\n',
    );
  });

  it('refuses an upstream that replaces a module by a path inside its own repository', () => {
    const local: GoModFile = {
      ...upstream,
      Replace: [{ Old: { Path: 'example.test/proxy/ext' }, New: { Path: './pkg/ext' } }],
    };

    expect(() => wrapperGoMod('gitcanary.test/proxy', local, 'v3.7.13')).toThrow(
      'example.test/proxy/v3@v3.7.13 replaces modules with local paths that its module zip does not carry ' +
        '(example.test/proxy/ext => ./pkg/ext); it cannot be built from the module proxy',
    );
  });
});
