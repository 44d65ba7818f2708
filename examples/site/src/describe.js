// A second module, so the deploy carries more than one module part.
export function describeRequest(request) {
  const url = new URL(request.url);
  return { method: request.method, path: url.pathname, servedAt: new Date().toISOString() };
}
