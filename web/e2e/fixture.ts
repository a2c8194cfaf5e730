// The chain the browser tests run against: `loopin-web-fixture` (tests/web-fixture), one wasmd
// validator with LooPIN deployed, a staked and registered device, its miner's agent behind a real
// sshd, and funded test wallets. Global setup starts it and waits for its `ready` file; teardown
// stops it (SIGTERM: it removes the accounts its agent made and stops the chain).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Where the fixture writes loopin.json, fixture.json and its chain (one per checkout). */
export const FIXTURE_DIR = process.env.LOOPIN_WEB_FIXTURE_DIR ?? join(tmpdir(), "loopin-web-fixture");
export const WEB_CONFIG = join(FIXTURE_DIR, "loopin.json");
const READY_WITHIN_MS = 5 * 60_000;

export interface Wallet {
  mnemonic: string;
  address: string;
}

export interface Fixture {
  wallets: { alice: Wallet; bob: Wallet; empty: Wallet };
  miner: string;
  pair: string;
  stakeId: number;
  epochSeconds: number;
  ssh: { port: number; hostKey: string; userPrefix: string };
}

export function fixture(): Fixture {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, "fixture.json"), "utf8")) as Fixture;
}

export function webConfig(): { chain: { chainId: string; rpc: string; rest: string }; token: { address: string } } {
  return JSON.parse(readFileSync(WEB_CONFIG, "utf8"));
}

let child: ChildProcess | undefined;

export async function startFixture(): Promise<void> {
  const binary = resolve(process.env.LOOPIN_WEB_FIXTURE ?? "../target/debug/loopin-web-fixture");
  if (!existsSync(binary)) {
    throw new Error(`${binary} missing: cargo build -p loopin-web-fixture (scripts/test-web.sh does)`);
  }
  rmSync(FIXTURE_DIR, { recursive: true, force: true });
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const log = openSync(`${FIXTURE_DIR}.log`, "w");
  // Two runs on one machine (a developer's and a helper's) need their own ports and accounts.
  const args = ["--dir", FIXTURE_DIR];
  if (process.env.LOOPIN_WEB_BASE_PORT) args.push("--base-port", process.env.LOOPIN_WEB_BASE_PORT);
  if (process.env.LOOPIN_WEB_USER_PREFIX) args.push("--user-prefix", process.env.LOOPIN_WEB_USER_PREFIX);
  // wasmd (default) or devnet.
  if (process.env.LOOPIN_WEB_CHAIN) args.push("--chain", process.env.LOOPIN_WEB_CHAIN);
  child = spawn(binary, args, { stdio: ["ignore", log, log] });
  const exited = new Promise<never>((_, reject) =>
    child?.once("exit", (code) => reject(new Error(`loopin-web-fixture exited (${code}); see its log`))),
  );
  const ready = (async () => {
    const until = Date.now() + READY_WITHIN_MS;
    while (!existsSync(join(FIXTURE_DIR, "ready"))) {
      if (Date.now() > until) throw new Error("loopin-web-fixture not ready within 5 minutes");
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  await Promise.race([ready, exited]);
}

export async function stopFixture(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const done = new Promise((r) => child?.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}
