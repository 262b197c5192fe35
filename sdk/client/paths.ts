/** The OSB paths and query strings the client asks for; ids are percent-encoded. */

export function enc(id: string): string {
  return encodeURIComponent(id);
}

export function instancePath(instanceId: string, acceptsIncomplete: boolean | undefined): string {
  return `/v2/service_instances/${enc(instanceId)}${acceptsIncomplete ? '?accepts_incomplete=true' : ''}`;
}

export function bindingPathOf(instanceId: string, bindingId: string): string {
  return `/v2/service_instances/${enc(instanceId)}/service_bindings/${enc(bindingId)}`;
}

/** What joins more query parameters to a path that may carry accepts_incomplete already. */
export function sep(acceptsIncomplete: boolean | undefined): string {
  return acceptsIncomplete ? '&' : '?';
}

export function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, value);
  return search.toString();
}

export function queryPrefixed(params: Record<string, string | undefined>): string {
  // Most polls and fetches carry no parameters: no URLSearchParams for them.
  if (Object.values(params).every((value) => value === undefined)) return '';
  return `?${query(params)}`;
}
