#!/usr/bin/env node
// `npx scim-audit ...` (package.json "bin"): the TypeScript source through tsx in a checkout, so
// the tool is always the code beside it; the compiled dist/ where tsx is not installed (an image).
const path = require('node:path');

const root = path.join(__dirname, '..');
let register;
try {
  register = require('tsx/cjs/api').register;
} catch {
  register = undefined;
}
if (register) {
  register();
  require(path.join(root, 'services/audit/main.ts'));
} else {
  require(path.join(root, 'dist/services/audit/main.js'));
}
