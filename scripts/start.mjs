// `npm start`: runs the example users service and a `vigil server` that
// scrapes it (examples/vigil.yml), in one terminal. Ctrl-C stops both.
// The build and first-run install happen in `prestart`.
import { spawn } from 'node:child_process';
import { setTimeout } from 'node:timers';

const root = new URL('..', import.meta.url).pathname;
const children = [];
let stopping = false;

function start(name, args, env = {}) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the rest.`);
      stop(code === 0 ? 1 : (code ?? 1));
    }
  });
  children.push(child);
  return child;
}

function stop(exitCode) {
  stopping = true;
  let left = children.filter((c) => c.exitCode === null && c.signalCode === null).length;
  if (left === 0) process.exit(exitCode);
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.once('exit', () => {
      if (--left === 0) process.exit(exitCode);
    });
    child.kill('SIGTERM');
  }
}

start('user-service', ['examples/user-service/dist/main.js']);
start('vigil server', ['apps/server/dist/cli.js', 'server', '--config', 'examples/vigil.yml'], {
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});
// The server prints where it listens, what it scrapes and where its data is;
// this line only says how the pair is stopped.
setTimeout(() => {
  if (stopping) return;
  process.stderr.write(
    'user-service and vigil server are running (Ctrl-C stops both). Try:\n' +
      "  curl -sG 127.0.0.1:9090/api/v1/query --data-urlencode 'query=sum by (route) (rate(http_requests_total[1m]))'\n\n",
  );
}, 1500).unref();
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
