namespace TractorNet.Runtime

open System
open System.Reflection

/// Checking, in the parent, the names a daemon is told to enable (tractor's `enable_modules`):
/// each must name an assembly, a namespace or a type (an F# module) this program can load. The
/// child runs this program's own assemblies, so a name the parent cannot find is a mistake,
/// reported at spawn rather than as a refusal at the first call.
module internal ModuleNames =
    let private typesOf (a: Assembly) : Type seq =
        try
            a.GetTypes() :> _
        with :? ReflectionTypeLoadException as e ->
            e.Types |> Seq.filter (isNull >> not)

    let private isPlatform (a: Assembly) =
        let n = a.GetName().Name
        n = "mscorlib" || n = "netstandard" || n.StartsWith "System." || n = "System" || n.StartsWith "Microsoft." || n = "FSharp.Core"

    /// Whether `name` is the simple name of `a`, a namespace of it, or one of its types (with
    /// their nested types, as FunctionRefs.isEnabled reads an entry).
    let private names (name: string) (a: Assembly) =
        a.GetName().Name = name
        || (not (isPlatform a) || name.StartsWith "System" || name.StartsWith "Microsoft")
           && typesOf a
              |> Seq.exists (fun t ->
                  let full = t.FullName

                  not (isNull full)
                  && (full = name || full.StartsWith(name + ".", StringComparison.Ordinal) || full.StartsWith(name + "+", StringComparison.Ordinal)))

    /// The assemblies this program references, loaded (the entry assembly's references, transitively).
    let private referenced () : Assembly list =
        let seen = Collections.Generic.HashSet<string>()
        let found = ResizeArray<Assembly>()

        let rec visit (a: Assembly) =
            if seen.Add(a.GetName().Name) then
                found.Add a

                for r in a.GetReferencedAssemblies() do
                    if not (seen.Contains r.Name) then
                        try
                            visit (Assembly.Load r)
                        with _ ->
                            seen.Add r.Name |> ignore

        match Assembly.GetEntryAssembly() with
        | null -> ()
        | entry -> visit entry

        List.ofSeq found

    /// Raises ArgumentException naming the first entry that names nothing loadable.
    let check (enabled: string seq) =
        for name in enabled do
            let loadedHaveIt () = AppDomain.CurrentDomain.GetAssemblies() |> Array.exists (names name)

            let loadable () =
                try
                    Assembly.Load(AssemblyName name) |> ignore
                    true
                with _ ->
                    false

            if not (loadedHaveIt () || loadable () || referenced () |> List.exists (names name)) then
                raise (
                    ArgumentException(
                        $"enableModules: '{name}' names no assembly, namespace, module or type this program can load "
                        + "(check its spelling: a type's full name, nested types as Outer+Inner)",
                        "enableModules"
                    )
                )
