// A lease as the pair takes it: hours of one device in the trading epoch, paid with LOOP sent in a
// cw20 hook, bounded by what the client signed: at most the quote plus its slippage allowance,
// before a deadline; refunds of cancellations bounded below the same way.
import { toHex } from "@cosmjs/encoding";
import type { Swap } from "./contracts/LoopinPair.types";
import { ProblemError } from "./problems";

/** What the lease form asks for. */
export interface LeaseRequest {
  stakeId: number;
  /** Micro-hours. */
  hours: bigint;
  sshKey: string;
  /** Most the price may move against the quote, basis points. */
  slippageBps: number;
  /** Seconds from now after which the chain refuses the lease. */
  deadlineSecs: number;
}

const SSH_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( .*)?$/;

/** The one-line OpenSSH public key, or why it is refused. */
export function checkSshKey(text: string): string {
  const key = text.trim();
  if (key.includes("PRIVATE KEY")) throw new Error("that is a private key: paste the public one (the .pub file)");
  if (!SSH_KEY.test(key) || key.includes("\n")) throw new Error("not an OpenSSH public key line (ssh-ed25519 AAAA…)");
  return key;
}

/** The most LOOP to send for a quote: offer x (1 + slippage), rounded up. */
export function maxIn(quote: Swap, slippageBps: number): bigint {
  const offer = BigInt(quote.offer);
  return (offer * BigInt(10_000 + slippageBps) + 9_999n) / 10_000n;
}

/**
 * What the client signs for: the bound of the quote it was shown (same hours, same pool), or of a
 * fresh quote when it asked for none. A price that moved past the shown bound since is refused,
 * not signed at the new price: the user quotes again and sees it.
 */
export function signedMaxIn(shown: Swap | undefined, fresh: Swap, slippageBps: number): bigint {
  if (shown === undefined || shown.receive !== fresh.receive) return maxIn(fresh, slippageBps);
  const bound = maxIn(shown, slippageBps);
  if (BigInt(fresh.offer) > bound) {
    throw new ProblemError({
      kind: "other",
      detail: `The price moved since your quote: ${fresh.offer} now, above the ${bound} you would sign for. Nothing was sent; quote again.`,
    });
  }
  return bound;
}

/** The least refund to accept for a quoted one: refund x (1 - slippage), rounded down. */
export function minOut(refund: bigint, slippageBps: number): bigint {
  return (refund * BigInt(10_000 - slippageBps)) / 10_000n;
}

/** CosmWasm's Timestamp (nanoseconds, a string) `secs` after `now` (seconds). */
export function deadline(now: number, secs: number): string {
  return (BigInt(now + secs) * 1_000_000_000n).toString();
}

/** The pair's Lease hook. */
export function leaseHook(request: LeaseRequest, accessKey: Uint8Array, now: number) {
  return {
    lease: {
      stake_id: request.stakeId,
      hours: request.hours.toString(),
      client_key: toHex(accessKey),
      ssh_key: checkSshKey(request.sshKey),
      deadline: deadline(now, request.deadlineSecs),
    },
  };
}
