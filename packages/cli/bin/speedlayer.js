#!/usr/bin/env node
// Committed launcher so the bin link is executable before the TypeScript build has run.
import '../dist/bin.js';
