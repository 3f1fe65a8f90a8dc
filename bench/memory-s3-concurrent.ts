/**
 * Memory benchmark (issue 9, "Benchmarks"): peak RSS of ONE process running 8 concurrent 1 GiB
 * uploads to s3rver through S3Store.putFile. Target: under 400 MiB. It is bench/memory-s3.ts with
 * `--concurrent 8 --no-baseline` (same measurement: s3rver in its own process, the uploads in a
 * fresh plain-node child reading its VmHWM); extra arguments are passed on, e.g.
 *
 *   npx tsx bench/memory-s3-concurrent.ts [--size-mib 1024] [--concurrent 8] [--part-mib 8] [--queue 2]
 *
 * Where the memory goes, and the budget that bounds it: worker/src/storage/uploadBudget.ts.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const withDefault = (flag: string, value: string): string[] => (args.includes(flag) ? [] : [flag, value]);
const cp = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    join(HERE, 'memory-s3.ts'),
    ...withDefault('--concurrent', '8'),
    ...withDefault('--size-mib', '1024'),
    '--no-baseline',
    ...args,
  ],
  { stdio: 'inherit', cwd: dirname(HERE) },
);
cp.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
