namespace TractorNet.Ipc

#nowarn "9" // pinned arrays are passed to lstat as pointers

open System
open System.IO
open System.Runtime.InteropServices
open System.Text
open Microsoft.FSharp.NativeInterop

/// File facts from lstat(2) that the Unix-socket code needs.
[<Struct>]
type internal FileFacts = { Kind: int; Mode: int; Owner: uint32; Inode: uint64 }

module internal Posix =
    [<DllImport("libc")>]
    extern uint32 geteuid()

    [<DllImport("libc", EntryPoint = "lstat")>]
    extern int private lstat_native(nativeint path, nativeint buffer)

    let S_IFMT = 0xF000
    let S_IFDIR = 0x4000
    let S_IFSOCK = 0xC000

    /// lstat(2) without following a final symlink; None if the path does not exist.
    /// struct stat's layout differs per architecture; the two we run on are known.
    let lstat (path: string) : FileFacts option =
        let buffer = Array.zeroCreate<byte> 256
        // NUL-terminated UTF-8 (the assembly disables runtime marshalling of strings).
        let pathBytes = Array.zeroCreate<byte> (Encoding.UTF8.GetByteCount path + 1)
        Encoding.UTF8.GetBytes(path, 0, path.Length, pathBytes, 0) |> ignore
        let result =
            use pathPointer = fixed pathBytes
            use bufferPointer = fixed buffer
            lstat_native (NativePtr.toNativeInt pathPointer, NativePtr.toNativeInt bufferPointer)
        if result <> 0 then
            None
        else
            let span = ReadOnlySpan buffer
            let inode = BitConverter.ToUInt64(span.Slice(8, 8))
            let mode, owner =
                match RuntimeInformation.ProcessArchitecture with
                | Architecture.Arm64 -> BitConverter.ToInt32(span.Slice(16, 4)), BitConverter.ToUInt32(span.Slice(24, 4))
                | _ -> BitConverter.ToInt32(span.Slice(24, 4)), BitConverter.ToUInt32(span.Slice(28, 4))
            Some { Kind = mode &&& S_IFMT; Mode = mode &&& 0o7777; Owner = owner; Inode = inode }

/// <summary>
/// The per-user directory holding Unix socket files: <c>$XDG_RUNTIME_DIR/tractor</c> when that
/// runtime directory exists, else <c>/tmp/tractor-&lt;uid&gt;</c>. Created with mode 0700 and checked to be
/// a real directory owned by this user, so no other user can reach the sockets inside.
/// </summary>
module UnixSocketDirectory =
    /// <summary>sun_path holds 108 bytes including the terminating NUL.</summary>
    [<Literal>]
    let MaxPathBytes = 107

    /// <summary>The directory's path (not created).</summary>
    [<CompiledName "GetPath">]
    let path () =
        match Environment.GetEnvironmentVariable "XDG_RUNTIME_DIR" with
        | null
        | "" -> $"/tmp/tractor-{Posix.geteuid ()}"
        | runtime when Directory.Exists runtime -> Path.Combine(runtime, "tractor")
        | _ -> $"/tmp/tractor-{Posix.geteuid ()}"

    let private userOnly = UnixFileMode.UserRead ||| UnixFileMode.UserWrite ||| UnixFileMode.UserExecute

    /// Makes sure `dir` exists with mode 0700, is not a symlink and belongs to this user.
    let internal ensureDirectory (dir: string) =
        if not (Directory.Exists dir) then
            Directory.CreateDirectory(dir, userOnly) |> ignore

        match Posix.lstat dir with
        | None -> raise (IpcException $"socket directory {dir} could not be created")
        | Some facts ->
            if facts.Kind <> Posix.S_IFDIR then
                raise (IpcException $"socket directory {dir} is not a directory (a symlink?); refusing to use it")
            let me = Posix.geteuid ()
            if facts.Owner <> me then
                raise (IpcException $"socket directory {dir} belongs to uid {facts.Owner}, not to this user (uid {me}); refusing to use it")
            if facts.Mode <> 0o700 then
                File.SetUnixFileMode(dir, userOnly)
        dir

    /// <summary>Creates (if needed) and checks the directory; returns its path.</summary>
    [<CompiledName "Ensure">]
    let ensure () = ensureDirectory (path ())

    /// <summary>
    /// A fresh socket address in the directory: <c>&lt;name&gt;-&lt;random&gt;.sock</c>, the name reduced to
    /// characters safe in a file name.
    /// </summary>
    [<CompiledName "NewAddress">]
    let newAddress (name: string) =
        let dir = ensure ()
        let safe =
            let s = String(name |> Seq.map (fun c -> if Char.IsAsciiLetterOrDigit c || c = '-' || c = '_' || c = '.' then c else '_') |> Seq.toArray)
            if s.Length > 40 then s.Substring(0, 40) else s
        let file = $"""{(if safe = "" then "actor" else safe)}-{Guid.NewGuid().ToString("N").Substring(0, 12)}.sock"""
        IpcAddress.Uds(Path.Combine(dir, file))

    /// Checks a socket path fits in sun_path.
    let internal checkLength (path: string) =
        let n = Encoding.UTF8.GetByteCount path
        if n > MaxPathBytes then
            raise (IpcException $"socket path {path} is {n} bytes long; Unix sockets allow at most {MaxPathBytes}")
