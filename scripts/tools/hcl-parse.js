#!/usr/bin/env node
// Parses each file named on the command line with HashiCorp's HCL parser (the WASM build in
// @cdktf/hcl2json) and exits 1 naming every file that does not parse. Used by the test suite
// on generated Terraform and Octopus OCL.
'use strict';
const fs = require('fs');
const path = require('path');
const { parse } = require(path.join(process.env.TOOLS_HOME, 'npm/node_modules/@cdktf/hcl2json'));

(async () => {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    try {
      await parse(file, fs.readFileSync(file, 'utf8'));
    } catch (err) {
      failed += 1;
      console.error(`${file}: ${err && err.message ? err.message : err}`);
    }
  }
  console.log(`hcl-parse: ${process.argv.length - 2 - failed} parsed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
