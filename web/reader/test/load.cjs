// Loads the app's scripts into this Node.js process, in js/ORDER, as a
// browser would load the single file. Usage: require('./load.cjs')(['base.js', …])
// or with no argument: every file but the browser-only ones.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const dir = path.join(__dirname, '..', 'app', 'js');
const browserOnly = new Set(['store.js', 'ui.js']);

// Node 18 has WebCrypto, but not yet as globalThis.crypto.
globalThis.crypto ??= require('node:crypto').webcrypto;

module.exports = function load(only) {
  const order = fs.readFileSync(path.join(dir, 'ORDER'), 'utf8').split('\n').filter(Boolean);
  for (const f of order) {
    if (only ? !only.includes(f) : browserOnly.has(f)) continue;
    const p = path.join(dir, f);
    if (!fs.existsSync(p)) continue;
    vm.runInThisContext(fs.readFileSync(p, 'utf8'), { filename: p });
  }
  return globalThis.samizdat;
};
