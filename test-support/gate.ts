// A gate for race tests: an emulator hook `hold`s a request until the test `open`s it, and `arrived` tells the test it is held.
export interface Gate {
  /** Resolves once a request is held at the gate. */
  arrived: Promise<void>;
  /** Lets the held request go on. */
  open(): void;
  /** For the hook: waits at the gate. */
  hold(): Promise<void>;
}

export function gate(): Gate {
  let reached!: () => void;
  let open!: () => void;
  const arrived = new Promise<void>((resolve) => { reached = resolve; });
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { arrived, open, hold: async () => { reached(); await opened; } };
}
