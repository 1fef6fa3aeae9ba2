/** Entry of the `bzzz` command (bin/bzzz.js imports the compiled file). */
import { main } from './run.js';

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  tty: process.stdout.isTTY,
});
process.exitCode = code;
// a handle left open by a library must not keep a finished command alive
setTimeout(() => process.exit(code), 2_000).unref();
