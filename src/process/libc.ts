/**
 * The one binding to the C library: a lazily opened `libc.so.6` with the
 * system calls the process layer needs, and helpers that turn strings into
 * C strings and pointer arrays.
 * @module
 */

// Rows repeat by shape on purpose: one FFI signature per libc symbol, as Deno.dlopen takes them.
const SYMBOLS = {
  getpid: { parameters: [], result: "i32" },
  getppid: { parameters: [], result: "i32" },
  getuid: { parameters: [], result: "u32" },
  getsid: { parameters: ["i32"], result: "i32" },
  getpgid: { parameters: ["i32"], result: "i32" },
  setsid: { parameters: [], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  waitid: { parameters: ["i32", "i32", "buffer", "i32"], result: "i32" },
  setgroups: { parameters: ["usize", "buffer"], result: "i32" },
  setgid: { parameters: ["u32"], result: "i32" },
  setuid: { parameters: ["u32"], result: "i32" },
  umask: { parameters: ["u32"], result: "u32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  chdir: { parameters: ["buffer"], result: "i32" },
  chroot: { parameters: ["buffer"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  fchmodat: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  readlinkat: { parameters: ["i32", "buffer", "buffer", "usize"], result: "isize" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  readAsync: {
    name: "read",
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
  pollAsync: {
    name: "poll",
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  mkdirat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  symlinkat: { parameters: ["buffer", "i32", "buffer"], result: "i32" },
  fchownat: { parameters: ["i32", "buffer", "u32", "u32", "i32"], result: "i32" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  fdopendir: { parameters: ["i32"], result: "pointer" },
  fchdir: { parameters: ["i32"], result: "i32" },
  /** fchmodat2(2) (Linux 6.6): the only chmod that takes AT_SYMLINK_NOFOLLOW/AT_EMPTY_PATH. */
  fchmodat2: { name: "syscall", parameters: ["i64", "i64", "buffer", "i64", "i64"], result: "i64" },
  close_range: { parameters: ["u32", "u32", "i32"], result: "i32" },
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
  mkfifo: { parameters: ["buffer", "u32"], result: "i32" },
  mkfifoat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  signal: { parameters: ["i32", "usize"], result: "usize" },
  sigprocmask: { parameters: ["i32", "buffer", "pointer"], result: "i32" },
  syscall: { parameters: ["i64", "i64", "i64"], result: "i64" },
  // pidfd_send_signal takes four arguments: the variadic syscall() must get them all.
  syscall5: { name: "syscall", parameters: ["i64", "i64", "i64", "i64", "i64"], result: "i64" },
  sysconf: { parameters: ["i32"], result: "i64" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  posix_spawn: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  /** posix_spawn on a runtime thread: the loop runs on while the child gets to its exec. */
  posix_spawn_async: {
    name: "posix_spawn",
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  posix_spawn_file_actions_addclosefrom_np: { parameters: ["buffer", "i32"], result: "i32" },
  posix_spawn_file_actions_addfchdir_np: { parameters: ["buffer", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The names of every C library function the program may bind. */
export const LIBC_SYMBOL_NAMES: readonly string[] = Object.keys(SYMBOLS);

/** The typed symbol table of the C library. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let symbols: Libc | undefined;

/**
 * The C library's symbols. Each symbol is bound on first use (one `dlopen`
 * per symbol), because binding all of them costs ~10 ms and the exec helper,
 * which every spawn waits for, needs only a few.
 */
export function libc(): Libc {
  if (symbols === undefined) {
    symbols = createLazySymbols();
    // Bound up front: binding it after a failed call could overwrite the errno it reads.
    void symbols.__errno_location;
  }
  return symbols;
}

function createLazySymbols(): Libc {
  const bound = new Map<string, unknown>();
  return new Proxy({} as Libc, {
    get(_target, name) {
      if (typeof name !== "string" || !(name in SYMBOLS)) return undefined;
      let symbol = bound.get(name);
      if (symbol === undefined) {
        const definition = { [name]: SYMBOLS[name as keyof typeof SYMBOLS] };
        symbol = Deno.dlopen("libc.so.6", definition).symbols[name];
        bound.set(name, symbol);
      }
      return symbol;
    },
  });
}

/** errno values the process layer reacts to. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  E2BIG: 7,
  ECHILD: 10,
  EAGAIN: 11,
  EACCES: 13,
  EEXIST: 17,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENOSYS: 38,
  EXDEV: 18,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOLINK: 67,
  EOPNOTSUPP: 95,
} as const;

const ARM64 = Deno.build.arch === "aarch64";

/** Open flags (x86_64 and aarch64 Linux values; DIRECTORY and NOFOLLOW differ between them). */
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DIRECTORY: ARM64 ? 0o40000 : 0o200000,
  NOFOLLOW: ARM64 ? 0o100000 : 0o400000,
  CLOEXEC: 0o2000000,
  EXCL: 0o200,
  NOATIME: 0o1000000,
  PATH: 0o10000000,
} as const;

/** `*at()` flags. */
export const AT = {
  FDCWD: -100,
  SYMLINK_NOFOLLOW: 0x100,
  REMOVEDIR: 0x200,
  EMPTY_PATH: 0x1000,
} as const;

/** `fcntl` commands. */
export const F = {
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  DUPFD_CLOEXEC: 1030,
  FD_CLOEXEC: 1,
} as const;

/** The errno left by the last failing call on this thread. */
export function errno(): number {
  const location = libc().__errno_location();
  return location === null ? 0 : new Deno.UnsafePointerView(location).getInt32();
}

/** The C library's message for an errno value, e.g. "No such file or directory". */
export function strerror(code: number): string {
  const text = libc().strerror(code);
  return text === null ? `errno ${code}` : Deno.UnsafePointerView.getCString(text);
}

const encoder = new TextEncoder();

/** The chunks of a read, `total` bytes in all, as one array (the only chunk itself). */
export function concatBytes(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** A NUL-terminated UTF-8 copy of `text`. */
export function cstr(text: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** A NULL-terminated `char *[]` and the storage its pointers refer to. */
export interface CStringArray {
  /** The pointer array to pass as a `buffer` argument. */
  pointers: BigUint64Array<ArrayBuffer>;
  /** The string storage; keep it referenced until the call returns. */
  storage: Uint8Array<ArrayBuffer>;
}

/**
 * Packs strings into one buffer and builds the pointer array for `argv` or
 * `envp`. A single buffer of at least 256 bytes is used because V8 may keep
 * small typed arrays inside its moving heap.
 */
export function cstrArray(items: readonly string[]): CStringArray {
  const encoded = items.map((item) => encoder.encode(item));
  const size = encoded.reduce((sum, bytes) => sum + bytes.length + 1, 0);
  const storage = new Uint8Array(Math.max(size, 256));
  const pointers = new BigUint64Array(items.length + 1);
  const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(storage)));
  let offset = 0;
  encoded.forEach((bytes, index) => {
    storage.set(bytes, offset);
    pointers[index] = base + BigInt(offset);
    offset += bytes.length + 1;
  });
  return { pointers, storage };
}
