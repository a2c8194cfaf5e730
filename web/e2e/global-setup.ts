import { startFixture, stopFixture } from "./fixture";

export default async function globalSetup(): Promise<() => Promise<void>> {
  await startFixture();
  return stopFixture;
}
