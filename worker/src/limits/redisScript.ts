/**
 * A Lua script registered on an ioredis client (ioredis `defineCommand`: EVALSHA, falling back to
 * EVAL on NOSCRIPT), called with its keys and arguments. Scripts run atomically on the server
 * (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/), which is what the
 * shared write budget and the shared status outbox rely on (docs/design.md §6).
 */
import type { Redis } from 'ioredis';

/** Calls the script: KEYS then ARGV. Resolves with the script's reply as ioredis decodes it. */
export type LuaCall = (keys: string[], args: (string | number)[]) => Promise<unknown>;

/**
 * Registers `lua` under `name` on the client (once per client) and returns a caller.
 * @param numberOfKeys how many of the leading arguments are KEYS
 */
export function luaCommand(redis: Redis, name: string, numberOfKeys: number, lua: string): LuaCall {
  const commands = redis as unknown as Record<string, ((...a: (string | number)[]) => Promise<unknown>) | undefined>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua });
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`${name}: expected ${numberOfKeys} keys, got ${keys.length}`);
    return commands[name]!.call(redis, ...keys, ...args);
  };
}
