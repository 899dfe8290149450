/** The value of an orders API's Authorization header, fetched per request (a token may be refreshed); undefined: none. */
export type AuthorizationProvider = () => Promise<string | undefined>;
