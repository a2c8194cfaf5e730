// The rules of My leases, as the pair applies them (contracts/pair: leasing.rs, disputes.rs), so
// the page offers only what the chain would take and shows, before anything is signed, what a
// dispute bonds and what an extension sends: a lease's status, its dispute window and bond, and
// a standing order's renewals, budget and the most one renewal may pay.
import type { LeaseResponse } from "./contracts/LoopinPair.types";
import { parseUnits } from "./chain";

/** A dispute's bond is what the lease paid divided by this, rounded up (`DISPUTE_BOND_DIVISOR`). */
export const DISPUTE_BOND_DIVISOR = 10n;
/** Longest reason a dispute may give, bytes of UTF-8 (`MAX_DISPUTE_REASON_LEN`). */
export const MAX_DISPUTE_REASON_LEN = 256;
/** Largest renewal count the pair stores (u32). */
const MAX_RENEWALS = 0xffff_ffff;
const HOUR = 1_000_000n;
const DECIMAL = 10n ** 18n;

/** Where a lease stands, in a word. */
export function status(lease: LeaseResponse, clockEpoch: number): string {
  if (lease.cancelled) return "cancelled";
  if (lease.dispute) return lease.dispute.resolution ? "dispute resolved" : "disputed";
  if (lease.completed) return "completed";
  if (lease.epoch > clockEpoch) return "waiting for its epoch";
  if (lease.epoch === clockEpoch) return lease.access ? "in delivery" : "in delivery, access pending";
  return "over";
}

/** The bond a dispute of a lease that paid `paid` needs: a tenth of it, rounded up, at least 1. */
export function disputeBond(paid: bigint | string): bigint {
  const bond = (BigInt(paid) + DISPUTE_BOND_DIVISOR - 1n) / DISPUTE_BOND_DIVISOR;
  return bond > 0n ? bond : 1n;
}

/** Whether a lease may be disputed now, and if not, why. */
export type DisputeWindow =
  | { open: true; lastEpoch: number }
  | { open: false; why: "cancelled" | "disputed" | "not started" | "closed"; lastEpoch: number };

/**
 * The pool's dispute window: from the start of the lease's epoch to the end of the epoch
 * `disputeEpochs` after it (with 0, only while the lease's epoch is delivered).
 */
export function disputeWindow(lease: LeaseResponse, clockEpoch: number, disputeEpochs: number): DisputeWindow {
  const lastEpoch = lease.epoch + disputeEpochs;
  if (lease.cancelled) return { open: false, why: "cancelled", lastEpoch };
  if (lease.dispute) return { open: false, why: "disputed", lastEpoch };
  if (lease.epoch > clockEpoch) return { open: false, why: "not started", lastEpoch };
  if (clockEpoch > lastEpoch) return { open: false, why: "closed", lastEpoch };
  return { open: true, lastEpoch };
}

/** The reason sent with a dispute: required, at most MAX_DISPUTE_REASON_LEN bytes. */
export function checkDisputeReason(text: string): string {
  const reason = text.trim();
  if (!reason) throw new Error("A dispute needs a reason: say what went wrong. Nothing was sent.");
  const bytes = new TextEncoder().encode(reason).length;
  if (bytes > MAX_DISPUTE_REASON_LEN) {
    throw new Error(`The reason is ${bytes} bytes; the pool takes at most ${MAX_DISPUTE_REASON_LEN}. Nothing was sent.`);
  }
  return reason;
}

/** Whether a lease's standing order may be extended now (the pair's `Extend`). */
export function extendable(lease: LeaseResponse, clockEpoch: number): boolean {
  return !lease.cancelled && lease.renewed_by == null && lease.epoch >= clockEpoch;
}

/** Whether a standing order may be renewed now: its lease is being delivered (`RenewLease`). */
export function renewable(lease: LeaseResponse, clockEpoch: number): boolean {
  return !lease.cancelled && lease.renewed_by == null && lease.renewals_left > 0 && lease.epoch === clockEpoch;
}

/** Whether a lease carries a standing order to close (`CloseOrder` refunds its budget). */
export function hasOrder(lease: LeaseResponse): boolean {
  return !lease.cancelled && (lease.renewals_left > 0 || BigInt(lease.budget) > 0n);
}

/** An extension as the user typed it, checked. */
export interface Extension {
  renewals: number;
  /** LOOP sent, smallest unit: exactly what the wallet signs. */
  amount: bigint;
}

/** Parses the extend form: whole renewals (at least 1) and a positive LOOP amount. */
export function parseExtension(renewals: string, budget: string, decimals: number, renewalsLeft = 0): Extension {
  const count = /^\s*\d+\s*$/.test(renewals) ? Number(renewals) : NaN;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new Error(`"${renewals}" is not a number of renewals (a whole number, at least 1). Nothing was sent.`);
  }
  if (renewalsLeft + count > MAX_RENEWALS) throw new Error("too many renewals. Nothing was sent.");
  let amount: bigint;
  try {
    amount = parseUnits(budget, decimals);
  } catch (error) {
    throw new Error(`the budget: ${(error as Error).message}. Nothing was sent.`);
  }
  if (amount === 0n) throw new Error("the budget must be above zero: it pays the renewals. Nothing was sent.");
  return { renewals: count, amount };
}

/** `Decimal` (a decimal string) in units of 10^-18. */
function atomics(decimal: string): bigint {
  return parseUnits(decimal, 18);
}

/**
 * The most one renewal of an order may pay (the pair's `renewal_bound`): the budget split evenly
 * over the renewals left, and no more than the order's price per device-hour for its hours.
 */
export function renewalBound(
  budget: bigint,
  renewalsLeft: number,
  hours: bigint | string,
  maxRenewalPrice?: string | null,
): bigint {
  if (renewalsLeft <= 0) return 0n;
  const share = budget / BigInt(renewalsLeft);
  if (!maxRenewalPrice) return share;
  const byPrice = (atomics(maxRenewalPrice) * BigInt(hours)) / HOUR / DECIMAL;
  return byPrice < share ? byPrice : share;
}

/** What an order looks like once `extension` is added to it. */
export function extended(lease: LeaseResponse, extension: Extension): { renewalsLeft: number; budget: bigint; bound: bigint } {
  const renewalsLeft = lease.renewals_left + extension.renewals;
  const budget = BigInt(lease.budget) + extension.amount;
  return { renewalsLeft, budget, bound: renewalBound(budget, renewalsLeft, lease.hours, lease.max_renewal_price) };
}
