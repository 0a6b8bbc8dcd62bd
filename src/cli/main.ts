// Process entry of the `gitcanary` binary.
import { buildProgram } from './program.js';

await buildProgram().parseAsync(process.argv);
