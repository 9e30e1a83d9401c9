#!/usr/bin/env node
// The package's `mlops` bin: the CLI is TypeScript, so register tsx first, then load it.
require('tsx/cjs');
require('./mlops.ts');
