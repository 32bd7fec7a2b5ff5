// The JSON Schemas as JavaScript tooling sees them: ajv (draft 2020-12, strict mode) and the
// `yaml` package, read as YAML 1.1 and as YAML 1.2 (the two readers schema-driven editors
// use). Run by tests/unit/schema_ajv_test.cpp with the packages cmake/test.sh installs into
// build/tools/ajv (NODE_PATH).
//
//   node ajv_check.js SCHEMA.json... [EXPECT:FILE]...
//
// Every SCHEMA is compiled in strict mode; a schema ajv refuses prints
// "SCHEMA-ERROR FILE: message" and exits 2. Each FILE (YAML) is then validated against the
// last SCHEMA under both YAML versions. Its verdict is "accept" only when every reader's
// document is valid; a file a reader cannot parse (duplicate keys, syntax) or whose
// mapping keys are not all strings (a `yes:` key is a boolean to YAML 1.1, and JSON keys
// are strings) is "reject". EXPECT is accept, reject or show; one line per FILE:
//   ok FILE                      the verdict is the expected one
//   MISMATCH FILE: detail        it is not
//   accept FILE | reject FILE: detail    (EXPECT show)
'use strict';
const fs = require('fs');
const Ajv2020 = require('ajv/dist/2020');
const YAML = require('yaml');

function compile(file) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  try {
    return ajv.compile(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (e) {
    console.log('SCHEMA-ERROR ' + file + ': ' + e.message);
    process.exit(2);
  }
}

// The yaml package's YAML 1.1 floats, corrected to the 1.1 type repository as PyYAML reads it:
// the package also reads `e1000` (a NIC model) as a float (NaN), which no other reader does.
const float11 = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?)$/;
function tags11(tags) {
  return tags
    .filter((t) => !(t.tag === 'tag:yaml.org,2002:float' && t.format === 'EXP'))
    .map((t) => (t.tag === 'tag:yaml.org,2002:float' && !t.format && t.test && !/inf/.test(t.test.source)
      ? { ...t, test: float11 } : t));
}

// Problems of one file under one YAML version: parse errors, non-string keys, schema errors.
function problems(validate, text, version) {
  const options = { version, merge: true, prettyErrors: false };
  if (version === '1.1') options.customTags = tags11;
  const doc = YAML.parseDocument(text, options);
  if (doc.errors.length) return doc.errors.map((e) => 'YAML ' + version + ': ' + e.message.split('\n')[0]);
  const out = [];
  YAML.visit(doc, {
    Pair(_, pair) {
      const k = pair.key;
      if (YAML.isScalar(k) && typeof k.value !== 'string' && typeof k.value !== 'symbol')
        out.push('YAML ' + version + ': key ' + JSON.stringify(k.source) + ' is a ' + typeof k.value +
                 ', not a string');
      else if (k && !YAML.isScalar(k)) out.push('YAML ' + version + ': a key is a collection');
    },
  });
  if (out.length) return out;
  if (validate(doc.toJS())) return [];
  return validate.errors.map((e) => 'YAML ' + version + ': ' + (e.instancePath || '/') + ' ' + e.message.slice(0, 80));
}

const args = process.argv.slice(2);
let validate = null;
const files = [];
for (let i = 0; i < args.length; ++i) {
  if (/\.json$/.test(args[i])) validate = compile(args[i]);
  else files.push(args[i]);
}
for (const arg of files) {
  const colon = arg.indexOf(':');
  const expect = arg.slice(0, colon);
  const file = arg.slice(colon + 1);
  const text = fs.readFileSync(file, 'utf8');
  const found = [...problems(validate, text, '1.1'), ...problems(validate, text, '1.2')];
  const verdict = found.length ? 'reject' : 'accept';
  const detail = found.length ? ': ' + found.slice(0, 4).join('; ') : ': schema accepts it';
  if (expect === 'show') console.log(verdict + ' ' + file + (found.length ? detail : ''));
  else if (expect === verdict) console.log('ok ' + file);
  else console.log('MISMATCH ' + file + detail);
}
