// What the shell hands every reducer besides the state and the stanza:
// the service's settings, the time, and a fresh id prefix. Reducers read the
// clock and make ids only through this, so the same inputs give the same outputs.

export interface ServiceConfig {
  /** The component's domain, e.g. muc.example.org. */
  domain: string;
  /** Bare JIDs of service administrators (owners of every room). */
  admins: readonly string[];
  /** Lock new rooms until their owner configures them (XEP-0045 §10.1.1). Off by default. */
  lockRooms: boolean;
  /** Messages kept per room for history on join, unless the room says otherwise. */
  historyLength: number;
  /** The most history messages a room may be configured to keep. */
  maxHistoryLength: number;
  /** Longest nickname, in code points. */
  maxNickLength: number;
  /** Most occupants per room (0 = no limit). */
  maxOccupants: number;
  /** Longest stanza the service accepts from a client, in characters of XML. */
  maxStanzaChars: number;
  /** Name of the service in disco#info. */
  name: string;
  /** Secret key for forwarded IQ ids (iq-forward.ts); the shell makes a random one per boot. */
  forwardKey: string;
}

export const defaultConfig: ServiceConfig = {
  domain: "muc.localhost",
  admins: [],
  lockRooms: false,
  historyLength: 20,
  maxHistoryLength: 100,
  maxNickLength: 64,
  maxOccupants: 0,
  maxStanzaChars: 100_000,
  name: "Chatrooms",
  forwardKey: "",
};

export interface Context {
  config: ServiceConfig;
  /** Milliseconds since the epoch, read by the shell when the input arrived. */
  now: number;
  /** Unique per input; reducers derive stanza ids from it (`${nonce}-1`, …). */
  nonce: string;
}
