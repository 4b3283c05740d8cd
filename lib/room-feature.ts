// What a room feature is (as Prosody's plugins/muc/*.lib.lua, through one small
// typed interface instead of events): its configuration fields with their
// defaults, how the owner's form shows and changes them (XEP-0045 §10.2,
// §15.5.3), what disco#info says of them (§6.4, §15.5.4), and the checks it adds
// to joining, private messages and invitations. Each feature is one file in
// lib/room-features/, listed once in lib/room-features.ts; adding a field to the
// room's configuration is done from that file (TypeScript declaration merging
// into RoomConfig), so nothing else needs to change.
import type { Context } from "./context.ts";
import type { Affiliation } from "./roles.ts";
import type { Occupant, Room, RoomConfig } from "./room.ts";
import type { Condition } from "./stanza.ts";
import { xml, type Element } from "./stanza.ts";

/** The submitted form: field var → its values, for the fields the owner sent. */
export type Submitted = ReadonlyMap<string, readonly string[]>;

/** A refusal: the error condition and its text. */
export type Refusal = { condition: Condition; text: string };

/** Someone asking to enter (§7.2): who, with what affiliation, with which join element. */
export interface JoinAttempt {
  bareJid: string;
  affiliation: Affiliation;
  /** The <x xmlns='…muc'/> of the join, if any. */
  x: Element | undefined;
  nickKey: string;
}

/** What a configuration change makes a feature do: status codes for the 104 notice, occupants to remove. */
export interface ConfigChange {
  codes?: string[];
  /** Occupants (by key) to remove, with the status code everyone is told (e.g. 322). */
  remove?: { key: string; occupant: Occupant; code: 321 | 322 }[];
}

/** A muc#roominfo field for disco#info; `order` places it among the others (the core's: occupants 30, subject 40). */
export interface RoomInfoField {
  var: string;
  values: string[];
  type?: string;
  order: number;
}

export interface RoomFeature {
  /** The configuration fields it owns, and their defaults for a new room. */
  defaults?(ctx: Context): Partial<RoomConfig>;
  /** Its fields in the owner's form, showing the current values. */
  form?(room: Room, ctx: Context): Element[];
  /** Apply the submitted values of its fields (those sent; others keep theirs), or say what is wrong. */
  apply?(config: RoomConfig, form: Submitted, ctx: Context, room: Room): RoomConfig | Refusal;
  /** For fields that change more than the configuration (affiliations): the whole room. */
  applyRoom?(room: Room, form: Submitted, ctx: Context): Room | Refusal;
  /** What it does once the configuration changed (checked after every feature applied). */
  changed?(before: Room, after: Room, ctx: Context): ConfigChange;
  /** Its disco#info features (muc_* and namespaces). */
  discoFeatures?(room: Room): string[];
  /** Its muc#roominfo fields. */
  roomInfo?(room: Room): RoomInfoField[];
  /** May this attempt enter? (after the ban, the lock and nick checks of join.ts) */
  joinGuard?(room: Room, attempt: JoinAttempt, ctx: Context): Refusal | undefined;
  /** May `sender` send this private message to `recipient`? */
  privateMessageGuard?(room: Room, sender: Occupant, recipient: Occupant): Refusal | undefined;
  /** May `sender` invite others? */
  inviteGuard?(room: Room, sender: Occupant): Refusal | undefined;
}

// ---- building and reading form fields ----

export function formField(v: string, type: string, label: string, values: readonly string[], options: readonly (readonly [string, string])[] = []): Element {
  return xml(
    "field",
    { var: v, type, label },
    ...values.map((value) => xml("value", {}, value)),
    ...options.map(([val, optLabel]) => xml("option", { label: optLabel }, xml("value", {}, val))),
  );
}

export const bool = (b: boolean) => (b ? "1" : "0");

/** A submitted boolean: true, false, undefined when not sent, or a refusal when malformed. */
export function readBoolean(form: Submitted, v: string): boolean | undefined | Refusal {
  const values = form.get(v);
  if (values === undefined) return undefined;
  const value = values[0] ?? "";
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  return refuse(`${v} must be a boolean`);
}

/** A submitted single value, or undefined when not sent. */
export function readText(form: Submitted, v: string): string | undefined {
  const values = form.get(v);
  return values === undefined ? undefined : (values[0] ?? "");
}

export const refuse = (text: string): Refusal => ({ condition: "bad-request", text });

export function isRefusal(x: unknown): x is Refusal {
  return typeof x === "object" && x !== null && "condition" in x && "text" in x;
}

/** A feature made of one boolean field of the configuration. */
export function booleanFeature(
  key: { [K in keyof RoomConfig]: RoomConfig[K] extends boolean ? K : never }[keyof RoomConfig],
  v: string,
  label: string,
  fallback: boolean,
  more: Omit<RoomFeature, "defaults" | "form" | "apply"> = {},
): RoomFeature {
  return {
    defaults: () => ({ [key]: fallback }) as Partial<RoomConfig>,
    form: (room) => [formField(v, "boolean", label, [bool(room.config[key] as boolean)])],
    apply(config, form) {
      const value = readBoolean(form, v);
      if (isRefusal(value)) return value;
      return value === undefined ? config : { ...config, [key]: value };
    },
    ...more,
  };
}
