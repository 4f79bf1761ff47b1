// `otlp-streams validate <file...>`: checks topology files without connecting to anything.
import { Command } from 'commander';
import { formatProblem, loadTopologyFile } from '../topology/index.ts';

/** Validates each file; prints OK (stdout) or its problems (stderr); returns whether all were valid. */
export function validateFiles(files: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): boolean {
  let valid = true;
  for (const file of files) {
    const result = loadTopologyFile(file);
    if (result.ok) {
      const { spec, topology } = result;
      out(`${file}: OK (application ${spec.application}, ${spec.source.type} from ${topology.source.topic}, ${spec.steps.length} steps)`);
    } else {
      valid = false;
      for (const problem of result.problems) err(formatProblem(problem));
    }
  }
  return valid;
}

/** The `validate` command. */
export function validateCommand(): Command {
  return new Command('validate')
    .description('check topology files (schema, step order, names) and print OK or file:line:col path: problem')
    .argument('<file...>', 'topology YAML files')
    .action((files: string[]) => {
      if (!validateFiles(files)) process.exitCode = 1;
    });
}
