import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { defineCommand } from 'citty';
import { scaffoldFiles } from '../../core/scaffold/files.js';
import { colors, type Io } from '../io.js';
import { plural } from '../../core/plural.js';

export default defineCommand({
  args: {
    dir: { type: 'positional', required: false, description: 'Directory to create the repository in (default: current directory)' },
    force: { type: 'boolean', description: 'Overwrite files that already exist' },
  },
  run({ args, data }) {
    const io = data as Io;
    const c = colors(io);
    const root = resolve(io.cwd, args.dir ?? '.');
    let written = 0;
    for (const [file, content] of Object.entries(scaffoldFiles())) {
      const path = join(root, file);
      if (existsSync(path) && !args.force) {
        io.out(`${c.yellow('skip')}  ${file} (exists; --force overwrites)`);
        continue;
      }
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      written++;
      io.out(`${c.green('write')} ${file}`);
    }
    const where = relative(io.cwd, root) || '.';
    io.out(`\n${plural(written, 'file')} written. Next:\n  cd ${where}\n  promptops validate\n  promptops render support/answer --vars '{"question":"Where is my invoice?"}'`);
  },
});
