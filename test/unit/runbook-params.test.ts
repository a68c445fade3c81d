/** Param overrides: -e key=value (YAML scalars), -e @file, --params file; every problem listed. */
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/index.js';
import { parseExtraVars, readParamsFile, resolveParams, type ParamSpec } from '../../src/runbook/index.js';

const specs: Record<string, ParamSpec> = {
  since: { type: 'string', default: '1 hour ago' },
  version: { type: 'string' },
  count: { type: 'number', default: 3 },
  dry: { type: 'boolean', default: true },
  users: { type: 'list' },
  limits: { type: 'map' },
};
const files: Record<string, string> = { 'p.yaml': 'count: 7\nusers: [a, b]\n', 'bad.yaml': '- a\n' };
const read = (f: string) => {
  const text = files[f];
  if (text === undefined) throw new Error(`ENOENT ${f}`);
  return text;
};

describe('runbook params', () => {
  it('applies defaults, then --params, then -e in order', () => {
    const overrides = [
      ...readParamsFile('p.yaml', read),
      ...parseExtraVars(['count=9', 'dry=false', 'version=1.10', 'limits={cpu: 2}', '@p.yaml'], read),
    ];
    assert.deepEqual(resolveParams(specs, overrides), {
      since: '1 hour ago',
      count: 7,
      dry: false,
      version: '1.10',
      users: ['a', 'b'],
      limits: { cpu: 2 },
    });
  });

  it('keeps -e text as typed for string params', () => {
    assert.deepEqual(
      resolveParams(specs, parseExtraVars(['since=2 hours ago; rm -rf /', 'version=007'])).version,
      '007',
    );
  });

  it('lists every problem: unknown (did you mean), wrong type, missing required', () => {
    const withRequired = { ...specs, ticket: { type: 'string', required: true } as ParamSpec };
    try {
      resolveParams(withRequired, parseExtraVars(['cont=3', 'count=many', 'users=a']));
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof InputError);
      assert.deepEqual(
        e.issues.map((i) => i.code),
        ['unknown_param', 'invalid_param', 'invalid_param', 'missing_param'],
      );
      assert.match(e.issues[0]?.message ?? '', /unknown param "cont" \(did you mean "count"\?\)/);
      assert.match(e.issues[1]?.message ?? '', /"count" must be a number, got "many"/);
    }
  });

  it('rejects malformed -e and non-mapping files', () => {
    assert.throws(() => parseExtraVars(['novalue']), /expected key=value or @file.yaml/);
    assert.throws(() => parseExtraVars(['@bad.yaml'], read), /must contain a mapping/);
    assert.throws(() => readParamsFile('missing.yaml', read), /cannot read missing.yaml/);
  });
});
