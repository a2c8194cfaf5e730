// The wallet, through Keplr's injected API (window.keplr), which Leap and others implement too:
// suggest the chain from loopin.json, enable it, take the account and an offline signer, suggest
// LOOP, and sign arbitrary data (ADR-036) for the lease access key.
import type { Keplr } from "@keplr-wallet/types";
import type { OfflineSigner } from "@cosmjs/proto-signing";
import { fromBase64 } from "@cosmjs/encoding";
import type { AppConfig } from "./config";
import { ProblemError } from "./problems";

declare global {
  interface Window {
    keplr?: Keplr;
    /** Leap's own name for the same API (it can also answer as window.keplr). */
    leap?: Keplr;
  }
}

export interface Connected {
  keplr: Keplr;
  /** The account's bech32 address and the name the wallet shows. */
  address: string;
  name: string;
  signer: OfflineSigner;
}

/** The injected wallet, once the page has loaded (extensions inject late): Keplr, else Leap. */
export async function findWallet(): Promise<Keplr | undefined> {
  if (window.keplr ?? window.leap) return window.keplr ?? window.leap;
  if (document.readyState !== "complete") {
    await new Promise<void>((resolve) => window.addEventListener("load", () => resolve(), { once: true }));
  }
  return window.keplr ?? window.leap;
}

/** Calls `onChange` when the user switches account in the wallet; returns the unsubscription. */
export function onAccountChange(onChange: () => void): () => void {
  const events = ["keplr_keystorechange", "leap_keystorechange"];
  events.forEach((name) => window.addEventListener(name, onChange));
  return () => events.forEach((name) => window.removeEventListener(name, onChange));
}

/** Suggests the chain (the wallet asks the user once), enables it and returns the account. */
export async function connect(config: AppConfig): Promise<Connected> {
  const keplr = await findWallet();
  if (!keplr) throw new ProblemError({ kind: "no-wallet" });
  const chainId = config.chain.chainId;
  await keplr.experimentalSuggestChain(config.chain);
  await keplr.enable(chainId);
  const key = await keplr.getKey(chainId);
  // Direct signing (protobuf), which every message here supports.
  const signer = keplr.getOfflineSigner(chainId);
  return { keplr, address: key.bech32Address, name: key.name, signer };
}

/** Asks the wallet to list LOOP (a cw20) among the account's tokens. */
export async function suggestLoop(wallet: Connected, config: AppConfig): Promise<void> {
  await wallet.keplr.suggestToken(config.chain.chainId, config.token.address);
}

/** The account's ADR-036 signature of `message` (64 bytes, r || s). */
export async function signArbitrary(wallet: Connected, config: AppConfig, message: string): Promise<Uint8Array> {
  const signed = await wallet.keplr.signArbitrary(config.chain.chainId, wallet.address, message);
  return fromBase64(signed.signature);
}
