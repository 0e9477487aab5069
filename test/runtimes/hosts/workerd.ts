// Cloudflare workerd host: a module worker whose bindings hold the model's files (see workerd.capnp
// in harness.ts); any request answers with a ParityReport.
import { parityFromBuffers, type ParityReport } from "../guest.js";

interface Env {
  config: string;
  weights: ArrayBuffer;
  vocab: string;
  merges: string;
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    try {
      const result = await parityFromBuffers({ config: env.config, weights: env.weights, vocab: env.vocab, merges: env.merges });
      const report: ParityReport = { runtime: "workerd", ...result };
      return new Response(JSON.stringify(report), { headers: { "content-type": "application/json" } });
    } catch (err) {
      return new Response(String((err as Error).stack ?? err), { status: 500 });
    }
  },
};
