// The browser derives the same lease access key as the CLI and opens the same sealed records: the
// vectors are written by the Rust side (packages/access/tests/access_key_v2.rs), which fails if
// they drift from what it derives.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Secp256k1HdWallet, serializeSignDoc } from "@cosmjs/amino";
import { fromBase64, toHex } from "@cosmjs/encoding";
import { adr036SignDoc } from "../e2e/wallet";
import { ACCESS_KEY_MESSAGE, AccessError, accessKeyFromSignature, fingerprint, openAccess } from "../src/access";

interface Account {
  mnemonic: string;
  address: string;
  sign_doc: string;
  signature_base64: string;
  x25519_public_hex: string;
  access_record: { ciphertext_base64: string; details: Record<string, unknown> };
}

const vectors = JSON.parse(
  readFileSync(new URL("../../packages/access/tests/vectors/access-key-v2.json", import.meta.url), "utf8"),
) as { message: string; accounts: Account[] };

describe("the lease access key", () => {
  it("signs the same text the CLI signs", () => {
    expect(ACCESS_KEY_MESSAGE).toBe(vectors.message);
  });

  for (const account of vectors.accounts) {
    it(`is derived from ${account.address}'s ADR-036 signature exactly as the CLI derives it`, async () => {
      const wallet = await Secp256k1HdWallet.fromMnemonic(account.mnemonic, { prefix: "loopin" });
      const [{ address }] = await wallet.getAccounts();
      expect(address).toBe(account.address);
      const doc = adr036SignDoc(address, ACCESS_KEY_MESSAGE);
      expect(new TextDecoder().decode(serializeSignDoc(doc))).toBe(account.sign_doc);
      const { signature } = await wallet.signAmino(address, doc);
      expect(signature.signature).toBe(account.signature_base64);
      const key = accessKeyFromSignature(fromBase64(signature.signature));
      expect(toHex(key.publicKey)).toBe(account.x25519_public_hex);
    });

    it(`opens the record sealed to ${account.address} and checks its host key`, () => {
      const key = accessKeyFromSignature(fromBase64(account.signature_base64));
      const details = openAccess(key, fromBase64(account.access_record.ciphertext_base64));
      expect(details).toEqual(account.access_record.details);
      expect(fingerprint(details.host_key)).toBe(details.host_key_fingerprint);
    });
  }

  it("does not open another account's record", () => {
    const [a, b] = vectors.accounts;
    const key = accessKeyFromSignature(fromBase64(a.signature_base64));
    expect(() => openAccess(key, fromBase64(b.access_record.ciphertext_base64))).toThrow(AccessError);
  });

  it("refuses an altered record", () => {
    const [a] = vectors.accounts;
    const key = accessKeyFromSignature(fromBase64(a.signature_base64));
    const sealed = fromBase64(a.access_record.ciphertext_base64);
    sealed[sealed.length - 1] ^= 1;
    expect(() => openAccess(key, sealed)).toThrow(/does not open/);
  });

  it("refuses a signature that is not 64 bytes", () => {
    expect(() => accessKeyFromSignature(new Uint8Array(65))).toThrow(/64 bytes/);
  });
});
