#!/usr/bin/env node
// The `custodia` command. The sources are TypeScript; tsx compiles each module once on load
// (cached), so the command always runs the checked-out code with no separate build step.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../cli.ts', import.meta.url);
process.exitCode = await main(process.argv);
