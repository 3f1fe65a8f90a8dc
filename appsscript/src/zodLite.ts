/**
 * The part of zod that shared/ uses, as named imports so esbuild can drop the rest (the `z`
 * namespace object keeps every locale alive: ~800 kB instead of ~250 kB, parsed on every Apps
 * Script execution). build.mjs points shared/'s `import { z } from 'zod'` here; the types are
 * zod's own, so nothing changes for the type checker.
 */
import { array, boolean, enum as enumSchema, literal, number, object, string, ZodError } from 'zod';

export const z = { array, boolean, enum: enumSchema, literal, number, object, string, ZodError };
