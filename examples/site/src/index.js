// A Worker that routes: /api/* is answered here, everything else comes from the static assets.
import { describeRequest } from './describe.js';

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/api/hello') {
      return Response.json({ greeting: env.GREETING, ...describeRequest(request) });
    }
    if (url.pathname.startsWith('/api/')) {
      return Response.json({ error: 'no such endpoint', path: url.pathname }, { status: 404 });
    }
    return env.ASSETS.fetch(request);
  },
};
