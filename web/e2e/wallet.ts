// A test wallet that implements Keplr's injected API (window.keplr) over a development key, so
// the app under test cannot tell it from Keplr: the keys and the signing stay in the test (Node,
// cosmjs), the page gets the same methods, shapes and errors Keplr gives ("Request rejected",
// "There is no chain info for ..."). Tests script refusals and read what the wallet was asked.
import type { Page } from "@playwright/test";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { Secp256k1HdWallet, type StdSignDoc } from "@cosmjs/amino";
import { fromBase64, toBase64, toUtf8 } from "@cosmjs/encoding";
import type { ChainInfo } from "@keplr-wallet/types";

export interface TestWallet {
  address: string;
  /** Chains suggested, by id. */
  chains: Map<string, ChainInfo>;
  /** cw20 contracts suggested. */
  tokens: string[];
  /** Every request, in order: "enable", "signDirect", "signArbitrary", ... */
  requests: string[];
  /** The next request of this kind is refused as a user would refuse it. */
  rejectNext: Set<string>;
  /** Switches the wallet to the account of `mnemonic` and tells the page, as Keplr does. */
  switchAccount(mnemonic: string): Promise<void>;
}

const PREFIX = "loopin";

/** ADR-036's sign doc of `data` for `signer`: amino, with no chain, account, sequence or fee. */
export function adr036SignDoc(signer: string, data: string): StdSignDoc {
  return {
    chain_id: "",
    account_number: "0",
    sequence: "0",
    fee: { gas: "0", amount: [] },
    msgs: [{ type: "sign/MsgSignData", value: { signer, data: toBase64(toUtf8(data)) } }],
    memo: "",
  };
}

/** Checks what Keplr's chain-info validation checks; a bad config fails the test here. */
function validateChainInfo(info: ChainInfo): void {
  const need = (ok: unknown, what: string) => {
    if (!ok) throw new Error(`Invalid chain info: ${what}`);
  };
  need(typeof info.chainId === "string" && info.chainId.length > 0, "chainId");
  need(/^https?:\/\//.test(info.rpc) && /^https?:\/\//.test(info.rest), "rpc and rest must be URLs");
  need(info.bip44?.coinType === 118, "bip44.coinType must be 118 for a Cosmos SDK chain");
  need(info.bech32Config?.bech32PrefixAccAddr === PREFIX, "bech32Config");
  need(info.currencies?.length > 0, "currencies");
  need(info.feeCurrencies?.[0]?.gasPriceStep !== undefined, "feeCurrencies[0].gasPriceStep");
  need(info.features?.includes("cosmwasm"), 'features must include "cosmwasm"');
}

/** Installs the wallet of `mnemonic` in `page` (before any of its scripts run). */
export async function installWallet(page: Page, mnemonic: string, name = "test"): Promise<TestWallet> {
  const keys = async (phrase: string) => {
    const direct = await DirectSecp256k1HdWallet.fromMnemonic(phrase, { prefix: PREFIX });
    const amino = await Secp256k1HdWallet.fromMnemonic(phrase, { prefix: PREFIX });
    const [account] = await direct.getAccounts();
    return { direct, amino, account };
  };
  let { direct, amino, account } = await keys(mnemonic);
  const wallet: TestWallet = {
    address: account.address,
    chains: new Map(),
    tokens: [],
    requests: [],
    rejectNext: new Set(),
    switchAccount: async (phrase: string) => {
      ({ direct, amino, account } = await keys(phrase));
      wallet.address = account.address;
      await page.evaluate(() => window.dispatchEvent(new Event("keplr_keystorechange")));
    },
  };
  const enabled = new Set<string>();
  const refuse = (method: string) => {
    if (wallet.rejectNext.delete(method)) throw new Error("Request rejected");
  };
  const known = (chainId: string) => {
    if (!wallet.chains.has(chainId)) throw new Error(`There is no chain info for ${chainId}`);
  };

  await page.exposeFunction("__loopinTestWallet", async (method: string, args: unknown[]) => {
    wallet.requests.push(method);
    switch (method) {
      case "experimentalSuggestChain": {
        const info = args[0] as ChainInfo;
        refuse(method);
        validateChainInfo(info);
        wallet.chains.set(info.chainId, info);
        return null;
      }
      case "enable": {
        const ids = ([] as string[]).concat(args[0] as string | string[]);
        ids.forEach(known);
        refuse(method);
        ids.forEach((id) => enabled.add(id));
        return null;
      }
      case "getKey": {
        const chainId = args[0] as string;
        known(chainId);
        if (!enabled.has(chainId)) throw new Error(`${chainId} is not enabled`);
        return {
          name,
          algo: "secp256k1",
          pubKey: toBase64(account.pubkey),
          bech32Address: account.address,
          isNanoLedger: false,
          isKeystone: false,
        };
      }
      case "signDirect": {
        const [chainId, signer, doc] = args as [string, string, Record<string, string>];
        known(chainId);
        refuse(method);
        const response = await direct.signDirect(signer, {
          bodyBytes: fromBase64(doc.bodyBytes),
          authInfoBytes: fromBase64(doc.authInfoBytes),
          chainId: doc.chainId,
          accountNumber: BigInt(doc.accountNumber),
        });
        return {
          signed: {
            bodyBytes: toBase64(response.signed.bodyBytes),
            authInfoBytes: toBase64(response.signed.authInfoBytes),
            chainId: response.signed.chainId,
            accountNumber: response.signed.accountNumber.toString(),
          },
          signature: response.signature,
        };
      }
      case "signArbitrary": {
        const [chainId, signer, data] = args as [string, string, string];
        known(chainId);
        refuse(method);
        return (await amino.signAmino(signer, adr036SignDoc(signer, data))).signature;
      }
      case "suggestToken": {
        const [chainId, contract] = args as [string, string];
        known(chainId);
        refuse(method);
        wallet.tokens.push(contract);
        return null;
      }
      default:
        throw new Error(`the test wallet does not implement ${method}`);
    }
  });

  await page.addInitScript(() => {
    type Call = (method: string, args: unknown[]) => Promise<unknown>;
    const call: Call = (method, args) =>
      (window as unknown as { __loopinTestWallet: Call }).__loopinTestWallet(method, args);
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    const unb64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    interface Doc {
      bodyBytes: Uint8Array;
      authInfoBytes: Uint8Array;
      chainId: string;
      accountNumber: bigint;
    }
    const signDirect = async (chainId: string, signer: string, doc: Doc) => {
      const out = (await call("signDirect", [
        chainId,
        signer,
        {
          bodyBytes: b64(doc.bodyBytes),
          authInfoBytes: b64(doc.authInfoBytes),
          chainId: doc.chainId,
          accountNumber: doc.accountNumber.toString(),
        },
      ])) as { signed: Record<string, string>; signature: unknown };
      return {
        signed: {
          bodyBytes: unb64(out.signed.bodyBytes),
          authInfoBytes: unb64(out.signed.authInfoBytes),
          chainId: out.signed.chainId,
          accountNumber: BigInt(out.signed.accountNumber),
        },
        signature: out.signature,
      };
    };
    const getKey = async (chainId: string) => {
      const key = (await call("getKey", [chainId])) as { bech32Address: string; pubKey: string };
      return { ...key, pubKey: unb64(key.pubKey), address: new Uint8Array(20) };
    };
    const signer = (chainId: string) => ({
      getAccounts: async () => {
        const key = await getKey(chainId);
        return [{ address: key.bech32Address, algo: "secp256k1", pubkey: key.pubKey }];
      },
      signDirect: (address: string, doc: Doc) => signDirect(chainId, address, doc),
    });
    const keplr = {
      version: "0.12.0-loopin-test",
      mode: "extension",
      defaultOptions: {},
      experimentalSuggestChain: (info: unknown) => call("experimentalSuggestChain", [info]),
      enable: (chainIds: string | string[]) => call("enable", [chainIds]),
      getKey,
      signDirect,
      signArbitrary: (chainId: string, address: string, data: string) => call("signArbitrary", [chainId, address, data]),
      suggestToken: (chainId: string, contract: string) => call("suggestToken", [chainId, contract]),
      getOfflineSigner: signer,
      getOfflineSignerOnlyDirect: signer,
      getOfflineSignerAuto: async (chainId: string) => signer(chainId),
    };
    Object.assign(window, { keplr, getOfflineSigner: signer });
  });
  return wallet;
}
