#!/usr/bin/env node
// Generates the typed contract clients in src/contracts/ from the JSON schemas in ../schema/
// (written by `cargo run -p loopin --bin schema`), or with `--check` verifies that they are up
// to date (exits 1 with the list of stale files, like the schema binary's `--check`).
//
//   node scripts/codegen.mjs            (npm run codegen)
//   node scripts/codegen.mjs --check    (npm run codegen:check)
//
// For every contract `schema/<contract>/<contract>.json` (e.g. loopin-pair -> LoopinPair) it
// writes, with @cosmwasm/ts-codegen:
//   <Contract>.types.ts   the message, response and hook message types;
//   <Contract>.client.ts  <Contract>QueryClient (on a @cosmjs CosmWasmClient) and <Contract>Client
//                         (on a SigningCosmWasmClient; executes return cosmjs' ExecuteResult).
// The other JSON files next to a contract's API (`schema/<contract>/receive_msg.json`: the cw20
// hook message, what a cw20 `Send` to the contract carries in its `msg`) are typed in its
// `.types.ts` under their schema's title (`ReceiveMsg`). Subdirectories (`raw/`, the price feed's
// `ibc/`) are not read.
//
// ts-codegen 1.14 writes clients on interchainjs' interfaces (a `baseClient.ts` importing
// interchainjs); this script rewrites their imports to @cosmjs' types (`import type`, unused
// names dropped, so the files pass `verbatimModuleSyntax` and `noUnusedLocals`) and leaves
// baseClient.ts out.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import ts from 'typescript';
import tsCodegenModule from '@cosmwasm/ts-codegen';

const codegen = typeof tsCodegenModule === 'function' ? tsCodegenModule : tsCodegenModule.default;
const require = createRequire(import.meta.url);
const TS_CODEGEN_VERSION = require('@cosmwasm/ts-codegen/package.json').version;

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMA_DIR = path.resolve(WEB_DIR, '..', 'schema');
const OUT_DIR = path.join(WEB_DIR, 'src', 'contracts');
const COSMWASM = '@cosmjs/cosmwasm-stargate';
const AMINO = '@cosmjs/amino';

/** loopin-pocps-registry -> LoopinPocpsRegistry */
const pascal = (name) =>
  name
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');

/** JSON with its object keys sorted, to compare schemas. */
const canonical = (value) =>
  JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );

/** The contracts in schema/: each directory holding its `<name>.json` API. */
function contracts() {
  return fs
    .readdirSync(SCHEMA_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => fs.existsSync(path.join(SCHEMA_DIR, name, `${name}.json`)))
    .sort();
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/**
 * A contract's API with its hook messages added as responses (ts-codegen types every response
 * schema; a response not named after a query is used for nothing else). Refuses two schemas
 * naming the same type differently: ts-codegen would keep the last one silently.
 */
function stagedApi(name) {
  const dir = path.join(SCHEMA_DIR, name);
  const api = readJson(path.join(dir, `${name}.json`));
  const hooks = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter(
      (entry) => entry.isFile() && entry.name.endsWith('.json') && entry.name !== `${name}.json`,
    )
    .map((entry) => entry.name)
    .sort();
  const responses = { ...(api.responses ?? {}) };
  for (const file of hooks) {
    const key = file.slice(0, -'.json'.length);
    if (key in responses) {
      throw new Error(`schema/${name}/${file}: the API already has a response named ${key}`);
    }
    responses[key] = readJson(path.join(dir, file));
  }
  const roots = [
    ...['instantiate', 'execute', 'query', 'migrate', 'sudo'].map((entry) => [entry, api[entry]]),
    ...Object.entries(responses),
  ].filter(([, schema]) => schema);
  const types = new Map();
  const define = (type, schema, where) => {
    const shape = { ...schema };
    delete shape.title;
    delete shape.$schema;
    delete shape.definitions;
    const seen = types.get(type);
    if (seen && seen.shape !== canonical(shape)) {
      throw new Error(`schema/${name}: type ${type} differs in ${seen.where} and ${where}`);
    }
    if (!seen) types.set(type, { shape: canonical(shape), where });
  };
  for (const [entry, schema] of roots) {
    if (schema.title) define(schema.title, schema, entry);
    for (const [type, definition] of Object.entries(schema.definitions ?? {})) {
      define(type, definition, entry);
    }
  }
  return { ...api, responses };
}

/** The header of every generated file. */
const header = (name) =>
  [
    '/**',
    ` * Generated by web/scripts/codegen.mjs (@cosmwasm/ts-codegen ${TS_CODEGEN_VERSION}) from`,
    ` * schema/${name}/. Do not edit: change the contract's messages, run`,
    ' * `cargo run -p loopin --bin schema` and, in web/, `npm run codegen`.',
    ' */',
    '/* eslint-disable */',
    '',
  ].join('\n');

/** ts-codegen's own header, replaced by ours. */
const TS_CODEGEN_HEADER =
  /^\/\*\*\n\* This file was automatically generated by [^\n]*\n(\*[^\n]*\n)*?\*\/\n+/;

/**
 * Rewrites a ts-codegen client onto @cosmjs: `ICosmWasmClient` -> CosmWasmClient,
 * `ISigningCosmWasmClient` -> SigningCosmWasmClient, interchainjs' Coin and StdFee ->
 * @cosmjs/amino's, the executes' `Promise<any>` -> `Promise<ExecuteResult>`; imports become
 * `import type` of the names used.
 */
function rewriteClient(code, className, file) {
  const source = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits = [];
  const imported = new Map(); // name -> module
  const renames = {
    ICosmWasmClient: 'CosmWasmClient',
    ISigningCosmWasmClient: 'SigningCosmWasmClient',
  };
  const moduleOf = (name, from) => {
    if (from === './baseClient' && renames[name]) return [renames[name], COSMWASM];
    if (from === '@interchainjs/types' && (name === 'Coin' || name === 'StdFee'))
      return [name, AMINO];
    if (from.startsWith('./') && from.endsWith('.types')) return [name, from];
    throw new Error(`${file}: unexpected import of ${name} from ${from}`);
  };
  // The imports lead the file: they are replaced by a new block.
  let importsEnd = 0;
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement)) break;
    const from = statement.moduleSpecifier.text;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings) || statement.importClause.name) {
      throw new Error(`${file}: unexpected import from ${from}`);
    }
    for (const element of bindings.elements) {
      const [name, module] = moduleOf(element.name.text, from);
      imported.set(name, module);
    }
    importsEnd = statement.getEnd();
  }
  const used = new Set();
  const signing = new Set([className, `${className.replace(/Client$/, '')}Interface`]);
  const visit = (node, owner) => {
    if (ts.isImportDeclaration(node)) {
      if (node.getEnd() > importsEnd) throw new Error(`${file}: an import after the code`);
      return;
    }
    if ((ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) && node.name) {
      owner = node.name.text;
    }
    if (ts.isIdentifier(node)) {
      const name = renames[node.text] ?? node.text;
      if (name !== node.text) edits.push([node.getStart(), node.getEnd(), name]);
      used.add(name);
    }
    if (
      signing.has(owner) &&
      ts.isTypeReferenceNode(node) &&
      ts.isIdentifier(node.typeName) &&
      node.typeName.text === 'Promise' &&
      node.typeArguments?.length === 1 &&
      node.typeArguments[0].kind === ts.SyntaxKind.AnyKeyword
    ) {
      edits.push([
        node.typeArguments[0].getStart(),
        node.typeArguments[0].getEnd(),
        'ExecuteResult',
      ]);
      used.add('ExecuteResult');
      imported.set('ExecuteResult', COSMWASM);
      return;
    }
    ts.forEachChild(node, (child) => visit(child, owner));
  };
  visit(source, undefined);
  const byModule = new Map();
  for (const [name, module] of imported) {
    if (!used.has(name)) continue;
    if (!byModule.has(module)) byModule.set(module, []);
    byModule.get(module).push(name);
  }
  const order = (module) => (module.startsWith('.') ? `1${module}` : `0${module}`);
  const imports = [...byModule.keys()]
    .sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
    .map((module) => `import type { ${byModule.get(module).sort().join(', ')} } from "${module}";`)
    .join('\n');
  let rest = code.slice(importsEnd);
  for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) {
    rest = rest.slice(0, start - importsEnd) + text + rest.slice(end - importsEnd);
  }
  return `${imports}\n\n${rest.replace(/^\n+/, '')}`;
}

/** Generates every contract's files into `outDir`; returns their names. */
async function generate(outDir) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loopin-codegen-'));
  try {
    const names = contracts();
    if (names.length === 0) throw new Error(`no contract schemas in ${SCHEMA_DIR}`);
    const staged = names.map((name) => {
      const dir = path.join(work, 'schema', name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(stagedApi(name), null, 2));
      return { name: pascal(name), dir };
    });
    const raw = path.join(work, 'out');
    await codegen({
      contracts: staged,
      outPath: raw,
      options: {
        bundle: { enabled: false },
        types: { enabled: true },
        client: {
          enabled: true,
          execExtendsQuery: true,
          // `declare` (not `override`: TS refuses both): the signing client narrows the query
          // client's `client`, which useDefineForClassFields would otherwise reset.
          useDeclareKeyword: true,
        },
        reactQuery: { enabled: false },
        recoil: { enabled: false },
        messageComposer: { enabled: false },
        messageBuilder: { enabled: false },
        useContractsHook: { enabled: false },
      },
    });
    const written = [];
    names.forEach((name, i) => {
      const contract = staged[i].name;
      for (const kind of ['types', 'client']) {
        const file = `${contract}.${kind}.ts`;
        let code = fs.readFileSync(path.join(raw, file), 'utf8');
        if (!TS_CODEGEN_HEADER.test(code)) throw new Error(`${file}: no ts-codegen header`);
        code = code.replace(TS_CODEGEN_HEADER, '');
        if (kind === 'client') code = rewriteClient(code, `${contract}Client`, file);
        if (/interchainjs|baseClient/.test(code))
          throw new Error(`${file}: still refers to interchainjs`);
        fs.writeFileSync(path.join(outDir, file), `${header(name)}\n${code.trimEnd()}\n`);
        written.push(file);
      }
    });
    const expected = new Set([...written, 'baseClient.ts']);
    const extra = fs.readdirSync(raw).filter((file) => !expected.has(file));
    if (extra.length) throw new Error(`ts-codegen wrote unexpected files: ${extra.join(', ')}`);
    return written.sort();
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  const check = process.argv.includes('--check');
  const rel = (file) => path.relative(process.cwd(), file) || '.';
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'loopin-codegen-fresh-'));
  try {
    const files = await generate(fresh);
    const present = fs.existsSync(OUT_DIR) ? fs.readdirSync(OUT_DIR).sort() : [];
    // [what is wrong, file name]
    const changes = [];
    for (const file of files) {
      const current = path.join(OUT_DIR, file);
      if (!fs.existsSync(current)) {
        changes.push(['missing', file]);
      } else if (
        fs.readFileSync(current, 'utf8') !== fs.readFileSync(path.join(fresh, file), 'utf8')
      ) {
        changes.push(['stale', file]);
      }
    }
    for (const file of present.filter((file) => !files.includes(file))) {
      changes.push(['not generated', file]);
    }
    if (check) {
      if (changes.length === 0) {
        console.log(`contract clients up to date in ${rel(OUT_DIR)}`);
        return 0;
      }
      for (const [what, file] of changes)
        console.error(`${what}: ${rel(path.join(OUT_DIR, file))}`);
      console.error('run `npm run codegen` in web/ and commit web/src/contracts/');
      return 1;
    }
    fs.mkdirSync(OUT_DIR, { recursive: true });
    for (const [what, file] of changes) {
      const target = path.join(OUT_DIR, file);
      if (what === 'not generated') fs.rmSync(target, { recursive: true, force: true });
      else fs.copyFileSync(path.join(fresh, file), target);
    }
    console.log(
      `contract clients written in ${rel(OUT_DIR)}: ${files.length} files, ${
        changes.length
      } changed`,
    );
    return 0;
  } finally {
    fs.rmSync(fresh, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`codegen: ${err instanceof Error ? err.message : err}`);
    process.exit(2);
  },
);
