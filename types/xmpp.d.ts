// Type declarations for the @xmpp/* packages, which ship none: just what this project uses.
declare module "@xmpp/xml" {
  export class Element {
    constructor(name: string, attrs?: Record<string, any>);
    name: string;
    attrs: Record<string, any>;
    children: (Element | string)[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    /** Sets an attribute (returns the element), or reads one. */
    attr(name: string, value?: any): any;
    text(): string;
    append(...nodes: (Element | string)[]): Element;
    toString(): string;
  }
  function xml(name: string, attrs?: Record<string, any> | string | null, ...children: (Element | string | undefined)[]): Element;
  class Parser {
    on(event: string, listener: (...args: any[]) => void): this;
    write(data: string): void;
    end(data?: string): void;
  }
  namespace xml {
    export { Element, Parser };
  }
  export default xml;
}

declare module "@xmpp/component" {
  import type { Element } from "@xmpp/xml";
  export interface Component {
    on(event: string, listener: (...args: any[]) => void): this;
    once(event: string, listener: (...args: any[]) => void): this;
    removeAllListeners(event?: string): this;
    removeListener(event: string, listener: (...args: any[]) => void): this;
    send(stanza: Element): Promise<void>;
    /** Writes raw XML to the socket (what send() does after serialising). */
    write(data: string): Promise<void>;
    /** The current TCP socket (node:net), null while offline. */
    socket: import("node:net").Socket | null;
    connect(service: string): Promise<void>;
    open(options: { domain: string }): Promise<void>;
    disconnect(): Promise<void>;
    stop(): Promise<void>;
    reconnect: { stop(): void };
    status: string;
  }
  export function component(options: { service: string; domain: string; password: string }): Component;
  export { default as xml } from "@xmpp/xml";
}

declare module "@xmpp/debug" {
  export default function debug(entity: unknown, force?: boolean): void;
}

declare module "@xmpp/jid" {
  export class JID {
    constructor(local: string | null | undefined, domain: string, resource?: string | null);
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    equals(other: JID): boolean;
    toString(unescape?: boolean): string;
  }
  export function parse(s: string): JID;
  export function jid(...args: string[]): JID;
  export default jid;
}
