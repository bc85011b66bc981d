namespace TractorNet.Runtime

open System
open System.Reflection
open System.Threading.Tasks

/// Awaits a boxed Task<'T>/ValueTask<'T>/Async<'T> as Task<obj>: one closed generic per type.
type private Awaiters<'T> =
    static member Task(o: obj) : Task<obj> =
        task {
            let! v = (o :?> Task<'T>)
            return box v
        }

    static member ValueTask(o: obj) : Task<obj> =
        task {
            let! v = (o :?> ValueTask<'T>)
            return box v
        }

    static member Async(o: obj) : Task<obj> =
        task {
            let! v = Async.StartAsTask(o :?> Async<'T>)
            return box v
        }

/// Runs a resolved method and awaits whatever it returns (Task, Task<'T>, ValueTask,
/// ValueTask<'T>, Async<'T> or a plain value).
module internal FunctionInvoker =
    open System.Collections.Concurrent

    let private awaiters = ConcurrentDictionary<Type, Func<obj, Task<obj>>>()

    let private closed (name: string) (arg: Type) =
        typedefof<Awaiters<_>>
            .MakeGenericType(arg)
            .GetMethod(name, BindingFlags.Static ||| BindingFlags.Public ||| BindingFlags.NonPublic)
            .CreateDelegate<Func<obj, Task<obj>>>()

    // Type.Equals, not F# `=`: generic equality over Type JIT-compiles a comparer lookup (by
    // reflection) on a new actor's first call.
    let private isGeneric (d: Type) (t: Type) =
        t.IsGenericType && t.GetGenericTypeDefinition().Equals d

    let private awaiterFor (t: Type) : Func<obj, Task<obj>> =
        awaiters.GetOrAdd(
            t,
            fun t ->
                if isGeneric typedefof<Task<_>> t then
                    closed "Task" (t.GetGenericArguments()[0])
                elif typeof<Task>.IsAssignableFrom t then
                    Func<_, _>(fun o ->
                        task {
                            do! (o :?> Task)
                            return box ()
                        })
                elif isGeneric typedefof<ValueTask<_>> t then
                    closed "ValueTask" (t.GetGenericArguments()[0])
                elif t.Equals typeof<ValueTask> then
                    Func<_, _>(fun o ->
                        task {
                            do! (o :?> ValueTask)
                            return box ()
                        })
                elif isGeneric typedefof<Async<_>> t then
                    closed "Async" (t.GetGenericArguments()[0])
                else
                    Func<_, _>(Task.FromResult)
        )

    /// The type of the value the method eventually produces (unit for Task/ValueTask/void).
    let resultType (m: MethodInfo) =
        let t = m.ReturnType

        if t.Equals typeof<Task> || t.Equals typeof<ValueTask> || t.Equals typeof<Void> then
            typeof<unit>
        elif isGeneric typedefof<Task<_>> t || isGeneric typedefof<ValueTask<_>> t || isGeneric typedefof<Async<_>> t then
            t.GetGenericArguments()[0]
        else
            t

    /// Invokes the method; exceptions (also synchronous ones) surface through the task, unwrapped.
    let invoke (m: MethodInfo) (args: obj[]) : Task<obj> =
        try
            let result = m.Invoke(null, BindingFlags.DoNotWrapExceptions, null, args, null)

            if m.ReturnType.Equals typeof<Void> then
                Task.FromResult(box ())
            else
                awaiterFor(m.ReturnType).Invoke result
        with e ->
            Task.FromException<obj> e
