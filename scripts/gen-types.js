'use strict';
// Generates sdk/openapi/osb.gen.ts from sdk/openapi/osb.yaml with openapi-typescript.
//
//   node scripts/gen-types.js            (re)write sdk/openapi/osb.gen.ts  (`npm run gen`)
//   node scripts/gen-types.js --check    exit 1 if the file on disk is not what would be generated
//   --out <file>                         write/check another file instead of sdk/openapi/osb.gen.ts
//
// `generate()` is exported so tests can produce the expected text without touching the disk.

const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.resolve(__dirname, '..');
const SPEC_PATH = path.join(ROOT, 'sdk', 'openapi', 'osb.yaml');
const OUTPUT_PATH = path.join(ROOT, 'sdk', 'openapi', 'osb.gen.ts');

const HEADER = [
  '/**',
  ' * GENERATED FILE - DO NOT EDIT.',
  ' *',
  ' * Produced by `npm run gen` (node scripts/gen-types.js) with openapi-typescript',
  ' * from sdk/openapi/osb.yaml. Edit the YAML and run `npm run gen` again;',
  ' * `node scripts/gen-types.js --check` verifies this file is up to date.',
  ' */',
  '',
  '',
].join('\n');

/** openapi-typescript 7 ships as an ES module, so it has to be loaded with import(). */
function loadOpenapiTypescript() {
  return import('openapi-typescript');
}

/**
 * Renders the TypeScript declarations for sdk/openapi/osb.yaml.
 * The result depends only on the YAML text and the installed openapi-typescript
 * version: no timestamps, absolute paths or machine-specific data end up in it.
 * @returns {Promise<string>}
 */
async function generate() {
  const mod = await loadOpenapiTypescript();
  const openapiTS = mod.default;
  const { astToString } = mod;
  const source = fs.readFileSync(SPEC_PATH, 'utf8');
  const ast = await openapiTS(source, {
    // Resolve relative references (there are none today) next to the YAML.
    cwd: pathToFileURL(path.dirname(SPEC_PATH) + path.sep),
    // A `default` in the schema must not turn an optional field into a required one:
    // e.g. ServicePlan.free or ErrorResponse.instance_usable may be omitted on the wire.
    defaultNonNullable: false,
    // Keep `[key: string]: unknown` only where the YAML says additionalProperties: true.
    additionalProperties: false,
    alphabetize: false,
    exportType: false,
    silent: false,
  });
  const body = astToString(ast).replace(/\r\n/g, '\n').replace(/\s*$/, '\n');
  return HEADER + body;
}

function parseArgs(argv) {
  const opts = { check: false, out: OUTPUT_PATH };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--check') {
      opts.check = true;
    } else if (arg === '--out') {
      const value = argv[i + 1];
      if (!value) throw new Error('--out needs a file path');
      opts.out = path.resolve(value);
      i += 1;
    } else if (arg === '-h' || arg === '--help') {
      opts.help = true;
    } else {
      throw new Error(`unknown argument: ${arg}`);
    }
  }
  return opts;
}

async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    console.log('usage: node scripts/gen-types.js [--check] [--out <file>]');
    return 0;
  }
  const fresh = await generate();
  const rel = path.relative(process.cwd(), opts.out) || opts.out;
  if (opts.check) {
    const current = fs.existsSync(opts.out) ? fs.readFileSync(opts.out, 'utf8') : null;
    if (current === fresh) {
      console.log(`${rel} is up to date.`);
      return 0;
    }
    const why = current === null ? 'is missing' : 'is out of date with sdk/openapi/osb.yaml';
    console.error(`${rel} ${why}. Run \`npm run gen\` and commit the result.`);
    return 1;
  }
  fs.writeFileSync(opts.out, fresh);
  console.log(`wrote ${rel}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`gen-types: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 2;
    },
  );
}

module.exports = { generate, SPEC_PATH, OUTPUT_PATH };
