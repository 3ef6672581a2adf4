// Compiles the contracts in src/ with the pinned solc and writes artifacts/<Name>.json (ABI and
// bytecode), which are committed: what is deployed is what is reviewed. With --check it
// compiles and fails if the committed artifacts differ from what the sources give.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const CONTRACTS = ['OpenToken', 'DatanetHub'];
const SRC = path.join(__dirname, 'src');
const OUT = path.join(__dirname, 'artifacts');

function findImports(name) {
  const candidates = [path.join(SRC, name), path.join(__dirname, 'node_modules', name)];
  for (const file of candidates) {
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, 'utf8') };
  }
  return { error: `import not found: ${name}` };
}

function compile() {
  const sources = {};
  for (const file of fs.readdirSync(SRC).filter((f) => f.endsWith('.sol')).sort()) {
    sources[file] = { content: fs.readFileSync(path.join(SRC, file), 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: 'cancun',
      viaIR: true,
      optimizer: { enabled: true, runs: 1000 },
      metadata: { bytecodeHash: 'none' },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) console.error(e.formattedMessage);
  if (errors.length > 0) process.exit(1);
  const artifacts = {};
  for (const name of CONTRACTS) {
    const contract = output.contracts[`${name}.sol`][name];
    artifacts[name] =
      JSON.stringify(
        {
          contractName: name,
          compiler: `solc ${solc.version()}`,
          abi: contract.abi,
          bytecode: `0x${contract.evm.bytecode.object}`,
          deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
        },
        null,
        2,
      ) + '\n';
  }
  return artifacts;
}

const check = process.argv.includes('--check');
const artifacts = compile();
let stale = [];
fs.mkdirSync(OUT, { recursive: true });
for (const [name, text] of Object.entries(artifacts)) {
  const file = path.join(OUT, `${name}.json`);
  const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (check) {
    if (committed !== text) stale.push(file);
  } else {
    fs.writeFileSync(file, text);
    console.log(`wrote ${path.relative(process.cwd(), file)} (${(contract_size(text) / 1024).toFixed(1)} KiB deployed)`);
  }
}
if (stale.length > 0) {
  console.error(`compiled contracts differ from the committed artifacts: ${stale.join(', ')}`);
  console.error('run `npm run build` in contracts/ and commit the result');
  process.exit(1);
}

function contract_size(text) {
  return (JSON.parse(text).deployedBytecode.length - 2) / 2;
}
