// Vite builds the app into dist/. Its config, loopin.json (`loopin-deploy web-config`), is served
// next to index.html: in production copy it there; here the dev and preview servers serve the file
// named by LOOPIN_WEB_CONFIG at /loopin.json.
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";

function serveConfig(): Plugin {
  const handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = process.env.LOOPIN_WEB_CONFIG;
    if (!path || req.url?.split("?")[0] !== "/loopin.json") return next();
    res.setHeader("content-type", "application/json");
    res.setHeader("cache-control", "no-store");
    res.end(readFileSync(path));
  };
  return {
    name: "loopin-web-config",
    configureServer: (server) => void server.middlewares.use(handler),
    configurePreviewServer: (server) => void server.middlewares.use(handler),
  };
}

export default defineConfig({
  plugins: [react(), serveConfig()],
  build: { target: "es2022", chunkSizeWarningLimit: 2048 },
});
