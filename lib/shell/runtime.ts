// The loop between the pure core and the world: it hands each input to
// `handle` with the time and a fresh nonce, carries out the effects the core
// returns (writes go to the store inside the batch's transaction; reads are
// answered, and the answers go back into the core as inputs), and collects the
// stanzas to send. Used by index.ts (with batching and the socket) and by the
// tests' simulator (synchronously), so both run the same code.
import type { Context, ServiceConfig } from "../context.ts";
import { addressing } from "../jid.ts";
import { handle, initialState, isRead, type Input, type ServiceState } from "../service.ts";
import type { Answered, Read, Store, Write } from "../storage.ts";
import { errorReply, type Element } from "../stanza.ts";

export interface RuntimeOptions {
  store: Store;
  config: ServiceConfig;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** Unique per call, across restarts too. */
  nonce: () => string;
  /** Every input exactly as the core receives it, with its context (recording, transcripts). */
  onInput?: (input: Input, ctx: Context) => void;
  /** Every write, as it is handed to the store. */
  onWrite?: (write: Write) => void;
  /** An input the core threw on; the state stays as it was before that input. */
  onCrash?: (input: Input, error: unknown) => void;
  /** An asynchronous read was answered: its input is waiting (call step with it). */
  onAnswer?: (input: Input) => void;
  /** The core; tests replace it to see what a bug in it costs. */
  handle?: typeof handle;
}

/** What a crash on `input` answers: internal-server-error to a request or message, never to an error or a result; from our canonical address. */
function crashReply(input: Input, domain: string): Element[] {
  if (input.kind !== "stanza") return [];
  const { stanza } = input;
  if (stanza.attrs.type === "result" || stanza.attrs.type === "error" || !stanza.attrs.from || !stanza.attrs.to) return [];
  const address = addressing(stanza, domain);
  if (!address.ok && address.reason !== "bad-room") return [];
  return errorReply(address.stanza, "internal-server-error");
}

export interface Runtime {
  state(): ServiceState;
  /** Feed one input and what follows from it at once (answers of synchronous reads); returns the stanzas to send. */
  step(input: Input): Element[];
  /** Commit the batch's writes; the stanzas of the batch may leave once this has returned (or resolved). */
  flush(): void | Promise<void>;
}

export function createRuntime(options: RuntimeOptions, initial: ServiceState = initialState()): Runtime {
  let state = initial;
  const { store } = options;
  const core = options.handle ?? handle;

  const one = (input: Input, out: Element[], follow: Input[]) => {
    const ctx: Context = { config: options.config, now: options.clock(), nonce: options.nonce() };
    options.onInput?.(input, ctx);
    let result;
    try {
      result = core(state, input, ctx);
    } catch (error) {
      // A bug costs this input, never the service: the state stays as it was, the sender hears of it.
      options.onCrash?.(input, error);
      out.push(...crashReply(input, options.config.domain));
      // An answer that could not be handled: whatever waited for it is answered, and not left waiting.
      if (input.kind === "read") follow.push({ kind: "read-failed", read: input.read });
      return;
    }
    const [next, stanzas, effects] = result;
    state = next;
    const writes: Write[] = [];
    for (const effect of effects) {
      if (!isRead(effect)) {
        writes.push(effect);
        continue;
      }
      let answer;
      try {
        answer = store.read(effect);
      } catch {
        follow.push({ kind: "read-failed", read: effect }); // answered at once, as an asynchronous failure would be later
        continue;
      }
      const answered = (value: unknown): Input => ({ kind: "read", read: effect as Read, result: value } as Input & Answered);
      // A read that fails (the database unreachable) is answered too: nothing waits for it forever.
      if (answer instanceof Promise)
        answer.then(
          (value) => options.onAnswer?.(answered(value)),
          () => options.onAnswer?.({ kind: "read-failed", read: effect }),
        );
      else follow.push(answered(answer));
    }
    if (writes.length > 0) {
      for (const w of writes) options.onWrite?.(w);
      const applied = store.write(writes);
      if (applied instanceof Promise) throw new Error("an asynchronous store must queue writes and settle them in flush()");
    }
    out.push(...stanzas);
  };

  return {
    state: () => state,
    step(input) {
      const out: Element[] = [];
      const queue: Input[] = [input];
      while (queue.length > 0) {
        const follow: Input[] = [];
        one(queue.shift()!, out, follow);
        queue.unshift(...follow); // a read's answer comes before anything queued after it
      }
      return out;
    },
    flush: () => store.flush(),
  };
}
