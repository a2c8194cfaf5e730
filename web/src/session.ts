// Everything a page needs once the app has loaded: the config, the read client, and the wallet
// with its signing client once connected; plus the access key, derived once per account.
import type { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { AppConfig } from "./config";
import type { Connected } from "./wallet";
import { signArbitrary } from "./wallet";
import { ACCESS_KEY_MESSAGE, accessKeyFromSignature, type AccessKey } from "./access";

export interface Session {
  config: AppConfig;
  client: CosmWasmClient;
  wallet?: Connected;
  signing?: SigningCosmWasmClient;
}

const keys = new Map<string, AccessKey>();

/** The account's lease access key: the wallet signs ACCESS_KEY_MESSAGE once per page load. */
export async function accessKey(wallet: Connected, config: AppConfig): Promise<AccessKey> {
  const known = keys.get(wallet.address);
  if (known) return known;
  const key = accessKeyFromSignature(await signArbitrary(wallet, config, ACCESS_KEY_MESSAGE));
  keys.set(wallet.address, key);
  return key;
}
