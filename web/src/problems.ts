// What went wrong, in the terms a user acts on: each failure the app can meet is classified into
// one of these, shown with a clear message, and nothing is sent after it.

export type Problem =
  | { kind: "no-wallet" }
  | { kind: "wrong-chain"; expected: string; actual: string }
  | { kind: "rejected" }
  | { kind: "insufficient-funds"; detail: string }
  | { kind: "tx-failed"; reason: string }
  | { kind: "unreachable"; url: string; detail: string }
  | { kind: "other"; detail: string };

/** An error that carries its classified problem. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(describe(problem));
  }
}

const CONTRACT_ERROR = /message index: \d+: (.*?): execute wasm contract failed/s;
const QUERY_ERROR = /Query failed with \(\d+\): (?:rpc error: code = \w+ desc = )?(.*?)(?:: query wasm contract failed.*)?$/s;
const UNREACHABLE = /(failed to fetch|networkerror|fetch failed|econnrefused|load failed|bad status on response: 5\d\d)/i;

/** Classifies anything thrown by cosmjs, the wallet or the app. */
export function classify(error: unknown, rpc: string): Problem {
  if (error instanceof ProblemError) return error.problem;
  const text = error instanceof Error ? error.message : String(error);
  if (/request rejected|rejected by the user|user rejected/i.test(text)) return { kind: "rejected" };
  if (/insufficient funds|does not exist on chain/i.test(text)) {
    return { kind: "insufficient-funds", detail: text };
  }
  const contract = CONTRACT_ERROR.exec(text);
  if (contract) return { kind: "tx-failed", reason: contract[1] };
  const query = QUERY_ERROR.exec(text);
  if (query) return { kind: "tx-failed", reason: query[1] };
  if (/Raw log: |broadcasting transaction failed|Code: \d+/.test(text)) {
    return { kind: "tx-failed", reason: text };
  }
  if (UNREACHABLE.test(text)) return { kind: "unreachable", url: rpc, detail: text };
  return { kind: "other", detail: text };
}

export function describe(problem: Problem): string {
  switch (problem.kind) {
    case "no-wallet":
      return "No wallet found: install Keplr (or a wallet with Keplr's API, such as Leap) and reload.";
    case "wrong-chain":
      return `Wrong chain: the app expects ${problem.expected}, but its node serves ${problem.actual}. Nothing was sent.`;
    case "rejected":
      return "You rejected the request in your wallet. Nothing was sent.";
    case "insufficient-funds":
      return `Insufficient funds: ${problem.detail}. Nothing was sent.`;
    case "tx-failed":
      return `The transaction failed: ${problem.reason}`;
    case "unreachable":
      return `The chain's node at ${problem.url} cannot be reached. Nothing was sent.`;
    case "other":
      return problem.detail;
  }
}
