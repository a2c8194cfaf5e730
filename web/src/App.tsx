// The app's shell: loads loopin.json and the node, connects the wallet on request, and shows the
// market, the lease form and the account's leases. Every user action goes through `run`, which
// turns whatever it throws into one of the problems of problems.ts.
import { useCallback, useEffect, useRef, useState } from "react";
import { loadConfig } from "./config";
import { readClient, signingClient, balances, formatLoop, type Balances } from "./chain";
import { classify, describe, type Problem } from "./problems";
import { connect, onAccountChange, suggestLoop } from "./wallet";
import type { Session } from "./session";
import { Market } from "./Market";
import { LeaseForm } from "./LeaseForm";
import { MyLeases } from "./MyLeases";
import { Miner } from "./Miner";
import { Liquidity } from "./Liquidity";

export type Run = (label: string, action: () => Promise<string | void>) => Promise<void>;

export function App() {
  const [session, setSession] = useState<Session>();
  const [problem, setProblem] = useState<Problem>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const [held, setHeld] = useState<Balances>();
  const [version, setVersion] = useState(0);

  useEffect(() => {
    (async () => {
      let rpc = "the chain's node";
      try {
        const config = await loadConfig();
        rpc = config.chain.rpc;
        setSession({ config, client: await readClient(config) });
      } catch (error) {
        setProblem(classify(error, rpc));
      }
    })();
  }, []);

  const run: Run = useCallback(
    async (label, action) => {
      setProblem(undefined);
      setNotice(undefined);
      setBusy(label);
      try {
        const done = await action();
        if (done) setNotice(done);
      } catch (error) {
        setProblem(classify(error, session?.config.chain.rpc ?? "the chain's node"));
      } finally {
        setBusy(undefined);
        setVersion((v) => v + 1);
      }
    },
    [session],
  );

  useEffect(() => {
    if (!session?.wallet) return;
    balances(session.client, session.config, session.wallet.address).then(setHeld, () => undefined);
  }, [session, version]);

  const connectWallet = () =>
    run("Connecting", async () => {
      if (!session) return;
      const wallet = await connect(session.config);
      const signing = await signingClient(session.config, wallet.signer);
      setSession({ ...session, wallet, signing });
      // Listing LOOP in the wallet is a courtesy: a wallet that declines it still signs.
      await suggestLoop(wallet, session.config).catch(() => undefined);
    });

  // The user switched account in the wallet: connect the new one (its balance, its leases).
  const reconnect = useRef<() => void>(() => undefined);
  useEffect(() => {
    reconnect.current = () => {
      if (session?.wallet) void connectWallet();
    };
  });
  useEffect(() => onAccountChange(() => reconnect.current()), []);

  return (
    <>
      <header>
        <h1>LooPIN · GPU hours</h1>
        {session?.wallet ? (
          <div data-testid="wallet">
            <span data-testid="wallet-address">{session.wallet.address}</span>
            {held && (
              <span data-testid="loop-balance" style={{ marginLeft: 12 }}>
                {formatLoop(held.loop, session.config)}
              </span>
            )}
          </div>
        ) : (
          <button data-testid="connect" onClick={connectWallet} disabled={!session || !!busy}>
            Connect wallet
          </button>
        )}
      </header>
      <main>
        {problem && (
          <div className="problem" role="alert" data-testid="problem" data-kind={problem.kind}>
            {describe(problem)}
          </div>
        )}
        {notice && (
          <div className="notice" data-testid="notice">
            {notice}
          </div>
        )}
        {busy && <p className="muted" data-testid="busy">{busy}…</p>}
        {session && <Market session={session} version={version} />}
        {session?.wallet && (
          <LeaseForm session={session} run={run} busy={!!busy} held={held} />
        )}
        {session?.wallet && <MyLeases session={session} run={run} busy={!!busy} version={version} />}
        {session?.wallet && <Miner session={session} run={run} busy={!!busy} version={version} held={held} />}
        {session?.wallet && <Liquidity session={session} run={run} busy={!!busy} version={version} held={held} />}
        {!session && !problem && <p className="muted">Loading the chain…</p>}
      </main>
    </>
  );
}
