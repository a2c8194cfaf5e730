// My leases' rules against the pair's: a lease's status, the dispute window and bond, the reason
// a dispute needs, and an extension's amount and the most a renewal of the order may then pay.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { LeaseResponse } from "../src/contracts/LoopinPair.types";
import {
  checkDisputeReason,
  DISPUTE_BOND_DIVISOR,
  disputeBond,
  disputeWindow,
  extendable,
  extended,
  hasOrder,
  MAX_DISPUTE_REASON_LEN,
  parseExtension,
  renewable,
  renewalBound,
  status,
} from "../src/leases";

function lease(fields: Partial<LeaseResponse> = {}): LeaseResponse {
  return {
    id: 7,
    client: "loopin1client",
    stake_id: 1,
    epoch: 10,
    hours: "3000",
    paid: "3561234",
    client_key: "00".repeat(32),
    ssh_key: "ssh-ed25519 AAAA",
    access: null,
    refunded: "0",
    cancelled: false,
    renewals_left: 0,
    budget: "0",
    max_renewal_price: null,
    renewer: null,
    order: 7,
    renewed_by: null,
    completed: false,
    dispute: null,
    ...fields,
  };
}

const disputed = { reason: "no access", opened_at: "0", bond: "1", resolution: null };

describe("the pair's constants", () => {
  it("are the ones packages/loopin declares", () => {
    const pair = readFileSync(fileURLToPath(new URL("../../packages/loopin/src/pair.rs", import.meta.url)), "utf8");
    expect(pair).toContain(`pub const DISPUTE_BOND_DIVISOR: u128 = ${DISPUTE_BOND_DIVISOR};`);
    expect(pair).toContain(`pub const MAX_DISPUTE_REASON_LEN: usize = ${MAX_DISPUTE_REASON_LEN};`);
  });
});

describe("a lease's status", () => {
  it("reads the lease against the pool's clock", () => {
    expect(status(lease(), 9)).toBe("waiting for its epoch");
    expect(status(lease(), 10)).toBe("in delivery, access pending");
    expect(status(lease({ access: "AAAA" }), 10)).toBe("in delivery");
    expect(status(lease(), 11)).toBe("over");
    expect(status(lease({ completed: true }), 11)).toBe("completed");
    expect(status(lease({ cancelled: true }), 9)).toBe("cancelled");
    expect(status(lease({ dispute: disputed, completed: true }), 11)).toBe("disputed");
    expect(status(lease({ dispute: { ...disputed, resolution: { refund: "5", paid: "5" } } }), 11)).toBe("dispute resolved");
  });
});

describe("disputes", () => {
  it("bond a tenth of what the lease paid, rounded up, at least 1 (as the pair and the CLI)", () => {
    expect(disputeBond("3561234")).toBe(356_124n);
    expect(disputeBond(3_561_230n)).toBe(356_123n);
    expect(disputeBond("1")).toBe(1n);
    expect(disputeBond("0")).toBe(1n);
  });

  it("are open from the lease's epoch to the end of the window after it", () => {
    expect(disputeWindow(lease(), 9, 0)).toEqual({ open: false, why: "not started", lastEpoch: 10 });
    expect(disputeWindow(lease(), 10, 0)).toEqual({ open: true, lastEpoch: 10 });
    expect(disputeWindow(lease(), 11, 0)).toEqual({ open: false, why: "closed", lastEpoch: 10 });
    expect(disputeWindow(lease(), 12, 2)).toEqual({ open: true, lastEpoch: 12 });
    expect(disputeWindow(lease(), 13, 2)).toEqual({ open: false, why: "closed", lastEpoch: 12 });
    expect(disputeWindow(lease({ cancelled: true }), 10, 0).open).toBe(false);
    expect(disputeWindow(lease({ dispute: disputed }), 10, 0)).toMatchObject({ open: false, why: "disputed" });
  });

  it("need a reason the pool takes", () => {
    expect(checkDisputeReason("  no access was posted \n")).toBe("no access was posted");
    expect(() => checkDisputeReason("   ")).toThrow(/needs a reason.*Nothing was sent/);
    expect(checkDisputeReason("x".repeat(256))).toHaveLength(256);
    expect(() => checkDisputeReason("x".repeat(257))).toThrow(/257 bytes/);
    // Bytes, as the contract counts them: 128 two-byte characters are 256 bytes, 129 are too many.
    expect(() => checkDisputeReason("é".repeat(129))).toThrow(/258 bytes/);
  });
});

describe("standing orders", () => {
  it("are extended while the lease is traded or delivered, never after or once renewed", () => {
    expect(extendable(lease(), 9)).toBe(true);
    expect(extendable(lease(), 10)).toBe(true);
    expect(extendable(lease(), 11)).toBe(false);
    expect(extendable(lease({ cancelled: true }), 9)).toBe(false);
    expect(extendable(lease({ renewed_by: 8 }), 10)).toBe(false);
  });

  it("are renewed while delivered, with renewals left", () => {
    expect(renewable(lease({ renewals_left: 1 }), 10)).toBe(true);
    expect(renewable(lease({ renewals_left: 1 }), 9)).toBe(false);
    expect(renewable(lease(), 10)).toBe(false);
    expect(renewable(lease({ renewals_left: 1, renewed_by: 8 }), 10)).toBe(false);
    expect(hasOrder(lease())).toBe(false);
    expect(hasOrder(lease({ budget: "1" }))).toBe(true);
    expect(hasOrder(lease({ renewals_left: 2, cancelled: true }))).toBe(false);
  });

  it("take whole renewals and a positive LOOP amount, exactly what is signed", () => {
    expect(parseExtension("2", "1.5", 6)).toEqual({ renewals: 2, amount: 1_500_000n });
    expect(parseExtension(" 3 ", "0.000001", 6)).toEqual({ renewals: 3, amount: 1n });
    for (const renewals of ["0", "-1", "1.5", "x", ""]) {
      expect(() => parseExtension(renewals, "1", 6)).toThrow(/renewals.*Nothing was sent/);
    }
    expect(() => parseExtension("1", "0", 6)).toThrow(/above zero/);
    expect(() => parseExtension("1", "0.0000001", 6)).toThrow(/at most 6 decimals/);
    expect(() => parseExtension("1", "lots", 6)).toThrow(/not a positive number/);
    expect(() => parseExtension("1", "1", 6, 0xffff_ffff)).toThrow(/too many/);
  });

  it("bound a renewal by the budget split over the renewals left and the order's price", () => {
    expect(renewalBound(1_000_001n, 2, "3000")).toBe(500_000n);
    expect(renewalBound(1_000_000n, 0, "3000")).toBe(0n);
    // 100 LOOP per device-hour for 0.003 h: 0.3 LOOP.
    expect(renewalBound(1_000_000n, 2, "3000", "100000000")).toBe(300_000n);
    expect(renewalBound(1_000_000n, 2, "3000", "1000000000")).toBe(500_000n);
    // Rounded down, as Decimal's to_uint_floor.
    expect(renewalBound(10n ** 12n, 1, "3333", "0.5")).toBe(0n);
    expect(renewalBound(10n ** 12n, 1, "3333", "1234.567")).toBe(4n);
  });

  it("show what the order becomes", () => {
    const order = lease({ renewals_left: 1, budget: "400000" });
    expect(extended(order, { renewals: 2, amount: 500_000n })).toEqual({
      renewalsLeft: 3,
      budget: 900_000n,
      bound: 300_000n,
    });
  });
});
