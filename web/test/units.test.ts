// Amounts, bounds and the classification of failures: what the user signs and what they are told.
import { describe, expect, it } from "vitest";
import { formatUnits, parseUnits, whenCurrent } from "../src/chain";
import { checkSshKey, deadline, maxIn, minOut, signedMaxIn } from "../src/lease";
import { classify, describe as say, ProblemError } from "../src/problems";

describe("amounts", () => {
  it("parses display units exactly and refuses what the unit cannot hold", () => {
    expect(parseUnits("0.003", 6)).toBe(3_000n);
    expect(parseUnits("12", 6)).toBe(12_000_000n);
    expect(() => parseUnits("0.0000001", 6)).toThrow(/at most 6 decimals/);
    expect(() => parseUnits("-1", 6)).toThrow(/not a positive number/);
    expect(() => parseUnits("1e3", 6)).toThrow();
  });

  it("formats smallest units without trailing zeros", () => {
    expect(formatUnits(8_763_439n, 6)).toBe("8.763439");
    expect(formatUnits(5_000_000n, 6)).toBe("5");
    expect(formatUnits(-1n, 6)).toBe("-0.000001");
  });
});

describe("the bounds a user signs", () => {
  const quote = { offer: "1000001", receive: "3000", fee: "3000", reserves: { hours: "0", tokens: "0" } };

  it("sends at most the quote plus the slippage allowance, rounded up", () => {
    expect(maxIn(quote, 100)).toBe(1_010_002n);
    expect(maxIn(quote, 0)).toBe(1_000_001n);
  });

  it("accepts at least the refund less the allowance, rounded down", () => {
    expect(minOut(1_000_001n, 100)).toBe(990_000n);
  });

  it("writes the deadline as CosmWasm's nanosecond timestamp", () => {
    expect(deadline(1_700_000_000, 300)).toBe("1700000300000000000");
  });

  it("takes an OpenSSH public key line and refuses a private key", () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5 me@laptop";
    expect(checkSshKey(`  ${key}\n`)).toBe(key);
    expect(() => checkSshKey("-----BEGIN OPENSSH PRIVATE KEY-----")).toThrow(/private key/);
    expect(() => checkSshKey("hello")).toThrow(/not an OpenSSH public key/);
  });
});

describe("what a user is told", () => {
  const rpc = "http://127.0.0.1:26657";

  it("names the contract's error, not the SDK's wrapping", () => {
    const error = new Error(
      "Query failed with (6): rpc error: code = Unknown desc = failed to execute message; message index: 0: Lease of 1 micro-hours is below the pool's minimum of 2083: execute wasm contract failed [CosmWasm/wasmd/x/wasm/keeper/keeper.go:443] With gas wanted: '0' and gas used: '1' : unknown request",
    );
    expect(classify(error, rpc)).toEqual({
      kind: "tx-failed",
      reason: "Lease of 1 micro-hours is below the pool's minimum of 2083",
    });
  });

  it("knows a wallet's refusal, missing funds and a node that does not answer", () => {
    expect(classify(new Error("Request rejected"), rpc).kind).toBe("rejected");
    expect(classify(new Error("insufficient funds: 0uloop is smaller than 500uloop"), rpc).kind).toBe("insufficient-funds");
    expect(classify(new TypeError("Failed to fetch"), rpc)).toMatchObject({ kind: "unreachable", url: rpc });
  });

  it("keeps a problem already classified", () => {
    const problem = { kind: "wrong-chain", expected: "a-1", actual: "b-1" } as const;
    expect(classify(new ProblemError(problem), rpc)).toEqual(problem);
    expect(say(problem)).toContain("Nothing was sent");
  });
});

describe("a quote right after an epoch boundary", () => {
  it("waits for the keeper to process the boundary, then quotes", async () => {
    let calls = 0;
    const quote = await whenCurrent(async () => {
      calls += 1;
      if (calls < 3) throw new Error("Query failed with (6): 1 epoch boundaries are due; call AdvanceEpoch first");
      return "quoted";
    });
    expect(quote).toBe("quoted");
    expect(calls).toBe(3);
  });

  it("passes any other failure on at once", async () => {
    let calls = 0;
    const failing = whenCurrent(async () => {
      calls += 1;
      throw new Error("Lease of 1 micro-hours is below the pool's minimum");
    });
    await expect(failing).rejects.toThrow(/below the pool's minimum/);
    expect(calls).toBe(1);
  });
});

describe("a lease signs the bound of the quote the user was shown", () => {
  const shown = { offer: "1000000", receive: "3000", fee: "3000", reserves: { hours: "0", tokens: "0" } };

  it("signs the shown quote's bound while the price stays within it", () => {
    const fresh = { ...shown, offer: "1005000" };
    expect(signedMaxIn(shown, fresh, 100)).toBe(1_010_000n);
  });

  it("refuses, rather than signs, a price pushed past that bound since the quote", () => {
    const pumped = { ...shown, offer: "1010001" };
    expect(() => signedMaxIn(shown, pumped, 100)).toThrow(/price moved since your quote/);
  });

  it("bounds a fresh quote when none was shown for these hours", () => {
    const other = { ...shown, receive: "4000", offer: "2000000" };
    expect(signedMaxIn(undefined, shown, 100)).toBe(1_010_000n);
    expect(signedMaxIn(shown, other, 100)).toBe(2_020_000n);
  });
});
