// Lease access in the browser. The agent seals a lease's access details (host, port, user, SSH
// host key) to the X25519 key the client registered on the lease. Keplr never reveals the
// account's private key, so that key is derived from the account's ADR-036 signature of a fixed
// message (deterministic: RFC 6979) through HKDF-SHA256, exactly as the CLI derives it
// (packages/access, shared vectors in packages/access/tests/vectors/access-key-v2.json).
import nacl from "tweetnacl";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { fromBase64, toBase64 } from "@cosmjs/encoding";

/** The text the wallet shows and signs; changing it changes every client's key. */
export const ACCESS_KEY_MESSAGE =
  "LooPIN lease access key v2\n\nSigning this derives the key that opens your leases' access details. It sends nothing and costs nothing. Sign it only for LooPIN: whoever has this signature can read your access details.";
const SALT = new TextEncoder().encode("loopin/lease-access");
const INFO = new TextEncoder().encode("loopin/lease-access/x25519/v2");
/** The sealed record's version the app reads. */
export const ACCESS_VERSION = 1;

export interface AccessKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface AccessDetails {
  version: number;
  lease_id: number;
  order: number;
  host: string;
  port: number;
  user: string;
  host_key: string;
  host_key_fingerprint: string;
}

/** Why a sealed record was not opened. */
export class AccessError extends Error {}

/** The X25519 key pair from the wallet's 64-byte signature of ACCESS_KEY_MESSAGE. */
export function accessKeyFromSignature(signature: Uint8Array): AccessKey {
  if (signature.length !== 64) {
    throw new AccessError(`a wallet signature is 64 bytes, got ${signature.length}`);
  }
  const secretKey = hkdf(sha256, signature, SALT, INFO, 32);
  return { secretKey, publicKey: nacl.box.keyPair.fromSecretKey(secretKey).publicKey };
}

/** OpenSSH's fingerprint of a public key line: SHA256 and the unpadded base64 of its blob. */
export function fingerprint(hostKey: string): string {
  const blob = hostKey.trim().split(/\s+/)[1];
  if (!blob) throw new AccessError("the host key is not `<type> <base64>`");
  return "SHA256:" + toBase64(sha256(fromBase64(blob))).replace(/=+$/, "");
}

/**
 * Opens a NaCl sealed box (libsodium's crypto_box_seal: the sender's ephemeral public key, then
 * XSalsa20-Poly1305 under the nonce BLAKE2b-24(ephemeral key || recipient key)) and checks the
 * record: its version, and that the fingerprint is the host key's.
 */
export function openAccess(key: AccessKey, sealed: Uint8Array): AccessDetails {
  if (sealed.length < 32 + nacl.box.overheadLength) throw new AccessError("the access record is too short");
  const ephemeral = sealed.subarray(0, 32);
  const nonceInput = new Uint8Array(64);
  nonceInput.set(ephemeral, 0);
  nonceInput.set(key.publicKey, 32);
  const nonce = blake2b(nonceInput, { dkLen: 24 });
  const plain = nacl.box.open(sealed.subarray(32), nonce, ephemeral, key.secretKey);
  if (!plain) throw new AccessError("the access record does not open with this account's key (not for this client, or altered)");
  const details = JSON.parse(new TextDecoder().decode(plain)) as AccessDetails;
  if (details.version !== ACCESS_VERSION) throw new AccessError(`unsupported access record version ${details.version}`);
  const actual = fingerprint(details.host_key);
  if (actual !== details.host_key_fingerprint) {
    throw new AccessError(`host key fingerprint ${details.host_key_fingerprint} does not match the host key (${actual})`);
  }
  return details;
}

/** Where the app tells the user to pin LooPIN hosts' keys (as the CLI pins them). */
export const KNOWN_HOSTS = "~/.ssh/loopin_known_hosts";

/** The ssh command line `loopin-client` prints: only the pinned host key is accepted. */
export function sshCommand(details: AccessDetails): string {
  return `ssh -o UserKnownHostsFile=${KNOWN_HOSTS} -o StrictHostKeyChecking=yes -p ${details.port} ${details.user}@${details.host}`;
}

/** The known_hosts line that pins the host key (as `loopin-client` writes it). */
export function knownHostsLine(details: AccessDetails): string {
  const host = details.port === 22 ? details.host : `[${details.host}]:${details.port}`;
  return `${host} ${details.host_key}`;
}
